// The self-test: every scenario's expectations.json names real releases and the verdict each must give.
// A harness change that stops reproducing a documented failure (or starts "reproducing" a fixed one)
// fails here. All checks run together in one scheduled batch, as `regress run` would run them.
import { beforeAll, describe, expect, test } from 'vitest';
import { EnvironmentCache, findPython } from '../harness/runtime/python-env.ts';
import { type Job, runJobs } from '../harness/runner.ts';
import { loadExpectations, loadScenarios } from '../harness/scenarios.ts';
import { parseClientSpec } from '../harness/spec.ts';
import type { CaseResult, Expectation } from '../harness/types.ts';

const scenarios = await loadScenarios();
const checks = (
  await Promise.all(scenarios.map(async (s) => (await loadExpectations(s)).map((e) => ({ scenario: s, ...e }))))
).flat();
/** The fork is run on every case; its verdicts are reported, and none may be a harness error. */
const FORK = 'httpx2';

const key = (scenario: string, c: string, client: string): string => `${scenario}/${c} × ${client}`;
const results = new Map<string, CaseResult>();

beforeAll(async () => {
  const cache = new EnvironmentCache(await findPython());
  const jobs: Job[] = checks.map((c) => ({
    scenario: c.scenario,
    case: c.scenario.cases.find((x) => x.name === c.case)!,
    spec: parseClientSpec(c.client),
  }));
  for (const scenario of scenarios) {
    for (const c of scenario.cases) jobs.push({ scenario, case: c, spec: parseClientSpec(FORK) });
  }
  for (const r of await runJobs(jobs, { cache })) results.set(key(r.scenario, r.case, r.client), r);
});

describe.each(scenarios.map((s) => [s.meta.id, s] as const))('%s', (id, scenario) => {
  test('every expectation names a case of the scenario', () => {
    const names = scenario.cases.map((c) => c.name);
    const mine = checks.filter((c) => c.scenario === scenario);
    expect(mine.length).toBeGreaterThan(0);
    for (const c of mine) expect(names).toContain(c.case);
  });

  test.for(checks.filter((c) => c.scenario === scenario) as (Expectation & { scenario: unknown })[])(
    '$case on $client is $verdict',
    (check) => {
      const result = results.get(key(id, check.case, check.client));
      expect(result, 'no result was produced').toBeDefined();
      expect(result!.verdict, result!.evidence.reason).toBe(check.verdict);
      // A verdict always carries evidence from both sides.
      expect(result!.installed?.packages.httpx ?? result!.installed?.packages.httpx2).toBeTruthy();
      expect(Object.keys(result!.evidence.server).length).toBeGreaterThan(0);
    },
  );

  test.for(scenario.cases.map((c) => c.name))(`%s on ${FORK} gives a verdict, not an error`, (caseName) => {
    const result = results.get(key(id, caseName, FORK));
    expect(result, 'no result was produced').toBeDefined();
    expect(result!.verdict, result!.evidence.reason).not.toBe('error');
    expect(result!.installed?.packages.httpx2).toBeTruthy();
  });
});
