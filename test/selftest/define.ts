// The self-test: every scenario's expectations.json names real releases and the verdict each must give.
// A harness change that stops reproducing a documented failure (or starts "reproducing" a fixed one)
// fails here. The fork (httpx2) runs every case too: its verdicts are reported and none may be an error.
//
// Scenarios are spread over a few bucket files (bucket-N.test.ts) so that `vitest --shard` can split the
// matrix across CI runners; within a bucket every check runs in one scheduled batch, as `regress run`
// runs them. REGRESS_SELFTEST_SCENARIOS=id,id limits the run to some scenarios; set but empty, or naming an
// id no scenario has, it is an error (a typo must not shrink the self-test to a few tests that pass).
import { beforeAll, describe, expect, test } from 'vitest';
import { family } from '../../harness/families.ts';
import { NpmCache, npmTarget } from '../../harness/runtime/npm-env.ts';
import { defaultCacheDir, EnvironmentCache, findPython, venvTarget } from '../../harness/runtime/python-env.ts';
import { versionScheme } from '../../harness/version-schemes.ts';
import { type Job, runJobs, targetFor } from '../../harness/runner.ts';
import { loadExpectations, loadScenarios } from '../../harness/scenarios.ts';
import { parseClientSpec } from '../../harness/spec.ts';
import type { CaseResult, Expectation, InstalledClient, Scenario } from '../../harness/types.ts';

export const BUCKETS = 3;
const FORK = 'httpx2';

/** Scenario ids, sorted, dealt round-robin into buckets: stable, and no bucket file per scenario. */
export async function scenariosInBucket(bucket: number): Promise<Scenario[]> {
  const all = selectedScenarios(await loadScenarios(), process.env.REGRESS_SELFTEST_SCENARIOS);
  return all.filter((_, i) => i % BUCKETS === bucket - 1);
}

/** The scenarios REGRESS_SELFTEST_SCENARIOS names (all when unset); throws on an empty list or an unknown id. */
export function selectedScenarios(all: Scenario[], only: string | undefined): Scenario[] {
  if (only === undefined) return all;
  const ids = only.split(',').map((id) => id.trim()).filter(Boolean);
  const known = all.map((s) => s.meta.id);
  if (ids.length === 0) throw new Error(`REGRESS_SELFTEST_SCENARIOS is set but names no scenario (known: ${known.join(', ')}); unset it to run them all`);
  const unknown = ids.filter((id) => !known.includes(id));
  if (unknown.length) throw new Error(`REGRESS_SELFTEST_SCENARIOS names no scenario ${unknown.map((id) => `'${id}'`).join(', ')} (known: ${known.join(', ')})`);
  return all.filter((s) => ids.includes(s.meta.id));
}

/**
 * Where the installed release differs from what an expectation's spec pins: `{ httpx: ['0.28.1', '0.27.2'] }`
 * (pinned, installed). Empty when every `==` pin is what ran: a verdict of another release proves nothing.
 */
export function releaseMismatches(spec: string, installed: InstalledClient | null): Record<string, [string, string | null]> {
  const mismatches: Record<string, [string, string | null]> = {};
  const npm = family(parseClientSpec(spec).family).runtime === 'npm';
  for (const r of parseClientSpec(spec).requirements) {
    // PEP 508 pins are `==1.2.3`; npm pins are the bare exact version (`1.2.3`).
    const pinned = npm ? (versionScheme('npm').valid(r.specifier) ? r.specifier : undefined) : /^===?\s*([^,*\s]+)$/.exec(r.specifier)?.[1];
    if (!pinned) continue;
    const ran = installed?.packages[r.name] ?? null;
    if (ran !== pinned) mismatches[r.name] = [pinned, ran];
  }
  return mismatches;
}

export async function defineSelfTest(bucket: number): Promise<void> {
  const scenarios = await scenariosInBucket(bucket);
  const checks = (
    await Promise.all(scenarios.map(async (s) => (await loadExpectations(s)).map((e) => ({ ...e, scenario: s }))))
  ).flat();
  const key = (scenario: string, c: string, client: string): string => `${scenario}/${c} × ${client}`;
  const results = new Map<string, CaseResult>();

  beforeAll(async () => {
    if (scenarios.length === 0) return;
    const cache = new EnvironmentCache(await findPython());
    const npm = new NpmCache(defaultCacheDir());
    const target = (text: string) => {
      const spec = parseClientSpec(text);
      return family(spec.family).runtime === 'npm' ? npmTarget(npm, spec) : venvTarget(cache, spec);
    };
    // An expectation naming no case of its scenario is reported by its own test below, not here.
    const jobs: Job[] = checks.flatMap((c) => {
      const definition = c.scenario.cases.find((x) => x.name === c.case);
      return definition ? [{ scenario: c.scenario, case: definition, client: targetFor(c.scenario, target(c.client)) }] : [];
    });
    for (const scenario of scenarios) {
      for (const c of scenario.cases) jobs.push({ scenario, case: c, client: targetFor(scenario, target(FORK)) });
    }
    for (const r of await runJobs(jobs, {})) {
      results.set(key(r.scenario, r.case, r.client), r);
    }
  });

  test(`bucket ${bucket} of ${BUCKETS}: each scenario lands in exactly one bucket`, async () => {
    const counts = await Promise.all(Array.from({ length: BUCKETS }, (_, i) => scenariosInBucket(i + 1)));
    const ids = counts.flat().map((s) => s.meta.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const s of scenarios) expect(ids.filter((id) => id === s.meta.id)).toHaveLength(1);
  });

  describe.each(scenarios.map((s) => [s.meta.id, s] as const))('%s', (id, scenario) => {
    const mine = checks.filter((c) => c.scenario === scenario);

    test('every expectation names a case of the scenario', () => {
      const names = scenario.cases.map((c) => c.name);
      expect(mine.length).toBeGreaterThan(0);
      for (const c of mine) expect(names).toContain(c.case);
    });

    test.for(mine as (Expectation & { scenario: Scenario })[])('$case on $client is $verdict', (check) => {
      const result = results.get(key(id, check.case, check.client));
      expect(result, 'no result was produced').toBeDefined();
      expect(result!.verdict, result!.evidence.reason).toBe(check.verdict);
      // The release the expectation names is the one that ran (not just some httpx).
      expect(releaseMismatches(check.client, result!.installed), 'installed release differs from the spec').toEqual({});
      expect(result!.installed?.packages[family(parseClientSpec(check.client).family).distribution]).toBeTruthy();
      // A verdict always carries evidence from both sides.
      expect(Object.keys(result!.evidence.server).length).toBeGreaterThan(0);
      expect(result!.evidence.client.steps.length).toBeGreaterThan(0);
    });

    test.for(scenario.cases.map((c) => c.name))(`%s on ${FORK} gives a verdict, not an error`, (caseName) => {
      const result = results.get(key(id, caseName, FORK));
      expect(result, 'no result was produced').toBeDefined();
      expect(result!.verdict, result!.evidence.reason).not.toBe('error');
      expect(result!.installed?.packages.httpx2).toBeTruthy();
    });
  });
}
