// The self-test of the gate itself: every scenario's sentinels (its failure patched back into the newest
// httpx, httpcore, httpx2 and httpcore2 wheels) must come out `reproduced`, and the unpatched rebuilds
// `fixed`, in one batch as `regress sentinels` runs them. Then the command as a user meets it: a release
// that no longer takes a patch is one STALE line and exit 2, and bad input is one line.
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { EnvironmentCache, findPython } from '../harness/runtime/python-env.ts';
import { family } from '../harness/families.ts';
import { programFor, statusFor } from '../harness/scenario-families.ts';
import { loadScenarios } from '../harness/scenarios.ts';
import { loadSentinels } from '../harness/sentinels/load.ts';
import { runSentinels, sentinelExitCode, type SentinelRunOutcome } from '../harness/sentinels/run-sentinels.ts';
import { SentinelWheels } from '../harness/sentinels/wheel-builder.ts';
import { problemLines } from './support/one-line.ts';

const regress = (...args: string[]) =>
  execa(process.execPath, ['bin/regress.js', ...args], { reject: false, cwd: `${import.meta.dirname}/..` });

const all = await loadScenarios();
const declared = await loadSentinels(all);

describe('every sentinel is caught and every unpatched rebuild is fixed', () => {
  let outcome: SentinelRunOutcome;

  beforeAll(async () => {
    const python = await findPython();
    const cache = new EnvironmentCache(python);
    outcome = await runSentinels({
      all,
      selected: all,
      cache,
      wheels: new SentinelWheels(python.path, cache.root),
      // The suite shares a 2-core machine: the same bound the project asks of any run.
      session: { concurrency: 8, reportRoot: null, command: 'vitest sentinels' },
    });
  });

  test('no sentinel is stale against the newest releases', () => {
    expect(outcome.stale.map((s) => `${s.declaredIn}/${s.sentinel} (${s.line}): ${s.message}`)).toEqual([]);
  });

  // One test per sentinel × line × expected case, named before anything runs.
  const expectations = declared.flatMap(({ scenario, sentinel }) =>
    sentinel.variants.flatMap((v) =>
      (v.expect ?? sentinel.expect).map((name) => {
        const [scenarioId, caseName] = name.includes('/') ? name.split('/', 2) : [scenario.meta.id, name];
        return { declaredIn: scenario.meta.id, sentinel: sentinel.id, line: v.line, scenario: scenarioId!, case: caseName! };
      }),
    ),
  );
  test.for(expectations.map((e) => [`${e.declaredIn} ${e.sentinel} ${e.line} → ${e.scenario}/${e.case}`, e] as const))(
    '%s: reproduced',
    ([, e]) => {
      const check = outcome.checks.find(
        (c) => c.role === 'sentinel' && c.declaredIn === e.declaredIn && c.sentinel === e.sentinel && c.line === e.line && c.scenario === e.scenario && c.case === e.case,
      );
      expect(check, 'the sentinel was built and its case ran').toBeDefined();
      expect(`${check!.verdict}: ${check!.reason}`).toMatch(/^reproduced: /);
    },
  );

  const lines = [...new Set(declared.flatMap(({ sentinel }) => sentinel.variants.map((v) => v.line)))];
  // Historic scenarios: fixed. Open-upstream ones: whatever the real release gives (the rebuild changes nothing).
  // A line runs the scenarios that hold a program for its family; a case the family cannot express is
  // not-applicable, as on the real release.
  const covered = (line: string) => all.filter((s) => programFor(s, family(line)));
  test.for(lines.flatMap((line) => covered(line).flatMap((s) => s.cases.map((c) => [`${line} unpatched → ${s.meta.id}/${c.name}`, line, s, c.name] as const))))(
    '%s: as the real release',
    ([, line, scenario, name]) => {
      const check = outcome.checks.find((c) => c.role === 'unpatched' && c.line === line && c.scenario === scenario.meta.id && c.case === name);
      expect(check, 'the unpatched rebuild ran this case').toBeDefined();
      if (statusFor(scenario, line) === 'historic') expect(check!.expected).toMatch(/^(fixed|not-applicable)$/);
      expect(`${check!.verdict}: ${check!.reason}`).toMatch(new RegExp(`^${check!.expected}: `));
    },
  );

  test('the exit code says the gate held', () => {
    expect(sentinelExitCode(outcome)).toBe(0);
  });
});

describe('regress sentinels on the command line', () => {
  test('a release that no longer takes a patch is one STALE line and exit 2, not a crash', async () => {
    // httpx 0.15 closed `_proxies`, not `_mounts`: the close-leak edit no longer applies. Its unpatched
    // rebuild still runs (and is fixed: the leak was fixed in 0.11).
    const { stdout, stderr, exitCode } = await regress(
      'sentinels', '--scenario', 'pool-exhaustion-after-close', '--line', 'httpx',
      '--release', 'httpx==0.15.5', '--release', 'httpcore==0.11.1', '--no-report', '--concurrency', '8',
    );
    expect(stderr).not.toMatch(/internal error|Error:/);
    const stale = stdout.split('\n').filter((l) => l.startsWith('STALE: '));
    expect(stale).toEqual([
      expect.stringMatching(/^STALE: httpx 0\.15\.5 no longer contains the text ".*" in httpx\/_client\.py \(sentinel close-leak of pool-exhaustion-after-close, httpx line\)$/),
    ]);
    expect(stdout).toMatch(/pool-exhaustion-after-close\s+unpatched\s+httpx 0\.15\.5\+sentinel\.unpatched.*reenter: fixed\s+OK/);
    expect(stdout).toMatch(/sentinels: 0\/0 caught; unpatched rebuilds: 1\/1 as expected; 1 stale/);
    expect(exitCode).toBe(2);
  });

  test.for([
    [['sentinels', '--line', 'curl'], /^regress: unknown client line 'curl'/],
    // requests is a family's package since client families: a package of no line is the bad input.
    [['sentinels', '--release', 'flask==2.0.0'], /^regress: --release 'flask==2\.0\.0': sentinels patch only/],
    [['sentinels', '--release', 'httpx>=0.28'], /^regress: --release 'httpx>=0\.28': expected NAME==VERSION/],
    [['sentinels', '--scenario', 'nope'], /^regress: unknown scenario 'nope'/],
  ] as const)('bad input %j exits 2 with one line', async ([args, message]) => {
    const { stdout, stderr, exitCode } = await regress(...args);
    expect(exitCode).toBe(2);
    expect(stderr.trim().split('\n')).toEqual([expect.stringMatching(message)]);
    expect(stdout).toBe('');
  });

  test('Ctrl-C while wheels download stops pip, leaves no build folder and exits 130 with one line', async () => {
    // A package index that accepts connections and never answers keeps pip downloading for as long as needed.
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const cacheDir = await mkdtemp(join(tmpdir(), 'regress-sentinel-interrupt-'));
    try {
      const child = execa(
        process.execPath,
        ['bin/regress.js', 'sentinels', '--scenario', 'pool-limits', '--line', 'httpx', '--release', 'httpx==0.28.1', '--release', 'httpcore==1.0.9', '--no-report'],
        {
          reject: false,
          cwd: `${import.meta.dirname}/..`,
          env: { REGRESS_CACHE_DIR: cacheDir, PIP_INDEX_URL: `http://127.0.0.1:${(silent.address() as AddressInfo).port}/simple/`, PIP_RETRIES: '0' },
        },
      );
      let stderr = '';
      child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      // Once pip is running (the build folder exists), interrupt.
      const releases = join(cacheDir, 'sentinels', 'releases');
      for (let i = 0; i < 200 && !(existsSync(releases) && (await readdir(releases)).some((n) => n.startsWith('.building-'))); i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      child.kill('SIGINT');
      const { exitCode } = await child;
      expect(exitCode).toBe(130);
      expect(problemLines(stderr)).toEqual(['regress: interrupted while building sentinel wheels; no case ran']);
      expect((await readdir(releases)).filter((n) => n.startsWith('.building-'))).toEqual([]);
    } finally {
      silent.closeAllConnections();
      silent.close();
      await rm(cacheDir, { recursive: true, force: true });
    }
  });

  test('--list explains every sentinel without running anything', async () => {
    const { stdout, exitCode } = await regress('sentinels', '--list');
    expect(exitCode).toBe(0);
    for (const { scenario, sentinel } of declared) expect(stdout).toContain(`${scenario.meta.id}  ${sentinel.id}: ${sentinel.summary}`);
  });
});
