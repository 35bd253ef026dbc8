// Fixtures judge only the client under test: another process connecting to every fixture port while a
// gate runs (idle, connect-and-close, and requests for the very paths the judges count, over TLS where the
// server speaks it) must change no verdict, and must show up in the evidence as foreign. The prober's
// first round comes before the client starts (every case sees it); its later rounds land while the client
// runs, where only the socket's owning process tells the two apart.
import { execa } from 'execa';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { EnvironmentCache, findPython, venvTarget } from '../harness/runtime/python-env.ts';
import { planJobs, runJobs } from '../harness/runner.ts';
import { loadScenarios } from '../harness/scenarios.ts';
import { parseClientSpec } from '../harness/spec.ts';
import type { CaseResult, Scenario } from '../harness/types.ts';

const PROBER = join(import.meta.dirname, 'support', 'foreign_prober.py');

/** Every http(s)://127.0.0.1:port URL in a client input. */
function fixtureUrls(input: unknown): string[] {
  const text = JSON.stringify(input);
  return [...new Set(text.match(/https?:\/\/127\.0\.0\.1:\d+/g) ?? [])];
}

/** The same scenarios, each case's setup followed by a foreign process probing its ports. */
function withForeignTraffic(scenarios: Scenario[], probers: Promise<unknown>[]): Scenario[] {
  return scenarios.map((s) => ({
    ...s,
    cases: s.cases.map((c) => ({
      ...c,
      setup: async (ctx) => {
        const fixture = await c.setup(ctx);
        const prober = execa('python3', [PROBER, ...fixtureUrls(fixture.input)], { reject: false, timeout: 15_000 });
        probers.push(prober);
        // Bounded wait for the first round, so every case sees foreign traffic however loaded the machine.
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 10_000);
          prober.stdout?.on('data', (chunk: Buffer) => {
            if (chunk.toString().includes('probed')) {
              clearTimeout(timer);
              resolve();
            }
          });
          void prober.then(() => resolve());
        });
        return fixture;
      },
    })),
  }));
}

const verdicts = (results: CaseResult[]): Record<string, string> =>
  Object.fromEntries(results.map((r) => [`${r.scenario}/${r.case}`, r.verdict]).sort());

test('foreign connections to every fixture port change no verdict and are recorded as foreign', async () => {
  const scenarios = await loadScenarios();
  const cache = new EnvironmentCache(await findPython());
  const client = venvTarget(cache, parseClientSpec('httpx==0.28.1'));
  const clean = await runJobs(planJobs(scenarios, [client]), { concurrency: 12 });
  const probers: Promise<unknown>[] = [];
  const probed = await runJobs(planJobs(withForeignTraffic(scenarios, probers), [client]), { concurrency: 12 });
  await Promise.all(probers);

  expect(probed.length).toBe(clean.length);
  const changed = probed
    .filter((r) => verdicts(clean)[`${r.scenario}/${r.case}`] !== r.verdict)
    .map((r) => `${r.scenario}/${r.case}: ${r.verdict}: ${r.evidence.reason}`);
  expect(changed, changed.join('\n')).toEqual([]);
  expect(verdicts(probed)).toEqual(verdicts(clean));
  const whileClientRan: string[] = [];
  for (const r of probed) {
    const foreign = Object.values(r.evidence.server).flatMap((s) => s.foreign);
    expect(foreign.length, `${r.scenario}/${r.case}: ${r.evidence.reason}`).toBeGreaterThan(0);
    expect(r.verdict, `${r.scenario}/${r.case}: ${r.evidence.reason}`).not.toBe('error');
    if (foreign.some((f) => /not held by the client under test/.test(f.why))) whileClientRan.push(`${r.scenario}/${r.case}`);
  }
  // The long cases (4 s and 6 s of waiting) certainly overlap the prober's later rounds.
  expect(whileClientRan).toEqual(expect.arrayContaining(['keepalive-expiry/idle-gap', 'pool-limits/limits']));
}, 120_000);
