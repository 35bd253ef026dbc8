// The gate's leak repetition (harness/soak/gate-repeat.ts): which cases it repeats, how it turns samples into
// a verdict, and for real: a plain `regress run` of the close-leak sentinel build (httpx 0.28.1 whose
// AsyncClient.__aexit__ leaves its transport open) fails on the `@repeat` rows, while httpx 0.28.1 stays fixed.
import { execa } from 'execa';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { openCache } from '../harness/cli/targets.ts';
import { planJobs } from '../harness/runner.ts';
import { loadScenarios } from '../harness/scenarios.ts';
import { SentinelWheels } from '../harness/sentinels/wheel-builder.ts';
import { isRepeat, judgeRepeat, REPEAT_ITERATIONS, repeatedCase, withRepeats } from '../harness/soak/gate-repeat.ts';
import { CLOSE_LEAK, sentinelSpec } from '../harness/soak/leak-builds.ts';
import type { ClientTarget } from '../harness/runtime/target.ts';
import type { CaseDefinition, CaseResult, Judgement, Verdict } from '../harness/types.ts';

const ROOT = join(import.meta.dirname, '..');
const scenarios = await loadScenarios();
const client = (label: string) => ({ label, key: label }) as unknown as ClientTarget;

describe('what the gate repeats', () => {
  test('one case per scenario, only where 8 iterations fit the budget; reenter (1.25 s of waits each) is left to soak', () => {
    const repeated = Object.fromEntries(scenarios.map((s) => [s.meta.id, repeatedCase(s)?.name ?? null]));
    expect(repeated['pool-exhaustion-after-close']).toBeNull();
    expect(repeated['keepalive-expiry']).toBeNull();
    expect(repeated['custom-ssl-context']).toBe('trusted-ca');
    expect(repeated['mtls-verify-false']).toBe('verify-false');
    const jobs = withRepeats(planJobs(scenarios, [client('a'), client('b')]));
    const repeats = jobs.filter((j) => isRepeat(j.case.name));
    // One per (scenario with a repeatable case, client).
    expect(repeats).toHaveLength(2 * Object.values(repeated).filter(Boolean).length);
    expect(repeats.every((j) => Object.values(j.scenario.programs).every((p) => p.endsWith('soak_driver.py')))).toBe(true);
    // Sorted as planJobs sorts: the longest expected time first.
    expect(jobs.map((j) => j.case.unavoidableWaitMs)).toEqual([...jobs.map((j) => j.case.unavoidableWaitMs)].sort((x, y) => y - x));
  });

  test('--case selects the repetition with its case, and nothing else', () => {
    const ssl = scenarios.filter((s) => s.meta.id === 'custom-ssl-context');
    expect(withRepeats(planJobs(ssl, [client('a')], ['expired'])).map((j) => j.case.name)).toEqual(['expired']);
    expect(withRepeats(planJobs(ssl, [client('a')], ['trusted-ca'])).map((j) => j.case.name).sort()).toEqual(['trusted-ca', 'trusted-ca@repeat']);
  });
});

describe('the repetition verdict', () => {
  /** A case whose judge gives the verdicts listed per iteration; samples and marks for `n` iterations. */
  async function judged(n: number, verdictOf: (i: number) => Verdict, sample: (i: number) => { fds?: number; leftToCollector?: number }): Promise<Judgement> {
    const dir = await mkdtemp(join(tmpdir(), 'regress-repeat-test-'));
    try {
      const base = { fds: 8, fdKinds: {}, tcp: 0, tcpStates: {}, leftToCollector: 0, rssKb: 1, objectsTotal: 9, objects: {}, pool: { pools: 0 } };
      const lines = [JSON.stringify({ sample: { iteration: 0, t: 0, ...base } })];
      const marks: Record<string, number> = {};
      for (let i = 1; i <= n; i++) {
        lines.push(JSON.stringify({ iteration: i, status: 'ok', steps: [{ name: 'x' }], facts: { i }, sample: { iteration: i, t: i, ...base, ...sample(i) } }));
        marks[`soak.${i}.start`] = i * 100;
        marks[`soak.${i}.end`] = i * 100 + 50;
      }
      const samplesFile = join(dir, 'samples.jsonl');
      await writeFile(samplesFile, `${lines.join('\n')}\n`);
      const c = { name: 'c', judge: (input: { client: { facts: { i: number } } }) => ({ verdict: verdictOf(input.client.facts.i), reason: `iteration ${input.client.facts.i}` }) } as unknown as CaseDefinition;
      return judgeRepeat(c, {
        client: { status: 'ok', steps: [], facts: {} },
        server: {},
        installed: { python: '3.11', packages: { httpx: '0.28.1' }, module: 'httpx' },
        clientExitedAt: 0,
        marks,
        input: { soak: { samplesFile } },
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  test('a socket left to the garbage collector per iteration is reproduced, with the slope as its measure', async () => {
    const j = await judged(REPEAT_ITERATIONS, () => 'fixed', () => ({ leftToCollector: 1 }));
    expect(j.verdict).toBe('reproduced');
    expect(j.reason).toMatch(/^leaks when repeated: over 8 iterations of c in one client process, sockets the client never closed .*\+1\.00/);
    expect(j.measure).toMatchObject({ what: 'unclosed gained per iteration', value: 1 });
  });

  test('flat and fixed every time: fixed', async () => {
    const j = await judged(REPEAT_ITERATIONS, () => 'fixed', () => ({}));
    expect(j.verdict).toBe('fixed');
    expect(j.reason).toMatch(/^nothing grows over 8 iterations/);
  });

  test('holds once, fails on a later iteration: reproduced; fails from the first (the case row says so): fixed', async () => {
    const later = await judged(REPEAT_ITERATIONS, (i) => (i >= 5 ? 'reproduced' : 'fixed'), () => ({}));
    expect(later.verdict).toBe('reproduced');
    expect(later.reason).toMatch(/holds once but fails when repeated: iteration 1 fixed, iteration 5 of 8 reproduced/);
    const always = await judged(REPEAT_ITERATIONS, () => 'reproduced', () => ({}));
    expect(always.verdict).toBe('fixed');
    expect(always.reason).toMatch(/the case fails from its first iteration, which its own row reports/);
  });

  test('too few iterations say nothing: error', async () => {
    expect((await judged(5, () => 'fixed', () => ({}))).verdict).toBe('error');
  });
});

describe('regress run with the leak repetition, real releases', () => {
  const run = (spec: string, ...extra: string[]) =>
    execa(
      process.execPath,
      ['bin/regress.js', 'run', '--client', spec, '--scenario', 'custom-ssl-context', '--scenario', 'mtls-verify-false', '--case', 'trusted-ca', '--case', 'verify-false', '--concurrency', '6', '--no-report', '--json', ...extra],
      { cwd: ROOT, reject: false },
    );
  const rows = (stdout: string): CaseResult[] => (JSON.parse(stdout || '{"results": []}') as { results: CaseResult[] }).results;

  test('the close-leak build passes every case once and is caught by the repetition; httpx 0.28.1 stays fixed; --no-repeat drops it', async () => {
    const cache = await openCache({});
    const { spec } = await sentinelSpec(CLOSE_LEAK, scenarios, new SentinelWheels(cache.python.path, cache.root));
    const [leak, clean, skipped] = await Promise.all([run(spec), run('httpx==0.28.1'), run('httpx==0.28.1', '--no-repeat')]);

    const leaked = rows(leak.stdout);
    expect(leak.exitCode, leak.stderr).toBe(1);
    expect(leaked.filter((r) => !isRepeat(r.case)).map((r) => [r.case, r.verdict])).toEqual([['trusted-ca', 'fixed'], ['verify-false', 'fixed']]);
    const repeats = leaked.filter((r) => isRepeat(r.case));
    expect(repeats.map((r) => r.case).sort()).toEqual(['trusted-ca@repeat', 'verify-false@repeat']);
    for (const r of repeats) {
      expect(r.verdict, r.evidence.reason).toBe('reproduced');
      expect(r.evidence.reason).toMatch(/leaks when repeated: .*sockets the client never closed/);
      expect(r.installed?.packages.httpx).toBe('0.28.1+sentinel.closeleak');
    }

    expect(clean.exitCode, clean.stderr).toBe(0);
    expect(rows(clean.stdout).map((r) => [r.case, r.verdict]).sort()).toEqual([
      ['trusted-ca', 'fixed'],
      ['trusted-ca@repeat', 'fixed'],
      ['verify-false', 'fixed'],
      ['verify-false@repeat', 'fixed'],
    ]);
    expect(skipped.exitCode, skipped.stderr).toBe(0);
    expect(rows(skipped.stdout).map((r) => r.case).sort()).toEqual(['trusted-ca', 'verify-false']);
  }, 300_000);

  test('list and run --help name the repetition', async () => {
    const list = await execa(process.execPath, ['bin/regress.js', 'list'], { cwd: ROOT });
    expect(list.stdout).toMatch(/trusted-ca@repeat .*repeated 8x in one client process/);
    const json = JSON.parse((await execa(process.execPath, ['bin/regress.js', 'list', '--json'], { cwd: ROOT })).stdout) as { scenarios: { id: string; cases: { name: string; repeat?: string }[] }[] };
    expect(json.scenarios.find((s) => s.id === 'custom-ssl-context')!.cases.find((c) => c.name === 'trusted-ca')!.repeat).toBe('trusted-ca@repeat');
    const help = await execa(process.execPath, ['bin/regress.js', 'run', '--help'], { cwd: ROOT });
    expect(help.stdout).toMatch(/--no-repeat\s+skip the leak repetition/);
  });
});
