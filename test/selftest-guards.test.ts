// The self-test can fail where it should: its scenario filter refuses a typo instead of shrinking the run,
// it checks that the release an expectation names is the one that ran, and every expectations row says why
// and every scenario has a row (or, where no real release fails, sentinels) that a broken judge would fail.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadExpectations, loadScenarios } from '../harness/scenarios.ts';
import { loadSentinels, resolveExpected } from '../harness/sentinels/load.ts';
import { parseClientSpec } from '../harness/spec.ts';
import type { InstalledClient } from '../harness/types.ts';
import { releaseMismatches, selectedScenarios } from './selftest/define.ts';

const scenarios = await loadScenarios();
const installed = (packages: Record<string, string>): InstalledClient => ({ python: '3.11.7', packages, module: 'httpx' });

describe('REGRESS_SELFTEST_SCENARIOS', () => {
  test('unset runs every scenario; a list runs exactly those', () => {
    expect(selectedScenarios(scenarios, undefined)).toHaveLength(scenarios.length);
    expect(selectedScenarios(scenarios, 'pool-limits, keepalive-expiry').map((s) => s.meta.id).sort()).toEqual(['keepalive-expiry', 'pool-limits']);
  });

  test.for(['', ' ', ',', ' , '])('set but empty (%j) is an error, not a smaller self-test', (value) => {
    expect(() => selectedScenarios(scenarios, value)).toThrow(/REGRESS_SELFTEST_SCENARIOS is set but names no scenario/);
  });

  test('a mistyped id is an error naming it', () => {
    expect(() => selectedScenarios(scenarios, 'pool-limits,pool-limtis')).toThrow(/names no scenario 'pool-limtis' \(known: .*pool-limits/);
  });
});

describe('the release an expectation names is the one that ran', () => {
  test('every pin must match what is installed', () => {
    expect(releaseMismatches('httpx==0.28.1', installed({ httpx: '0.28.1', httpcore: '1.0.9' }))).toEqual({});
    expect(releaseMismatches('httpx==0.28.1', installed({ httpx: '0.29.0' }))).toEqual({ httpx: ['0.28.1', '0.29.0'] });
    expect(releaseMismatches('httpx==0.20.0 httpcore==0.13.7', installed({ httpx: '0.20.0', httpcore: '0.14.7' }))).toEqual({ httpcore: ['0.13.7', '0.14.7'] });
    expect(releaseMismatches('httpx==0.20.0', null)).toEqual({ httpx: ['0.20.0', null] });
  });

  test('an unpinned spec pins nothing', () => {
    expect(releaseMismatches('httpx2', installed({ httpx2: '2.16.2' }))).toEqual({});
  });
});

/** Releases the README's generated version table shows reproduced in any case (❌ cells). */
async function reproducingReleases(dir: string): Promise<string[]> {
  const text = await readFile(join(dir, 'README.md'), 'utf8').catch(() => '');
  const table = /<!-- regress:versions:start -->([\s\S]*?)<!-- regress:versions:end -->/.exec(text)?.[1] ?? '';
  return table
    .split('\n')
    .filter((line) => line.startsWith('| ') && line.includes('❌'))
    .map((line) => line.split('|')[1]!.trim());
}

const expectations = new Map(await Promise.all(scenarios.map(async (s) => [s, await loadExpectations(s)] as const)));

describe.each(scenarios.map((s) => [s.meta.id, s] as const))('expectations of %s', (_id, scenario) => {
  const rows = expectations.get(scenario)!;
  const cases = scenario.cases.map((c) => c.name);

  test('every row names a case, a parseable spec, a verdict, and says why', () => {
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      const where = `${row.case} × ${row.client}`;
      expect(cases, where).toContain(row.case);
      expect(() => parseClientSpec(row.client), where).not.toThrow();
      expect(['fixed', 'reproduced', 'not-applicable', 'error'], where).toContain(row.verdict);
      expect(typeof row.why === 'string' && row.why.trim().length > 0, `${where}: empty why`).toBe(true);
    }
  });

  test('a release that reproduces it has a reproduced row; without one, sentinels make every case fail', async () => {
    const reproduced = rows.filter((r) => r.verdict === 'reproduced');
    const failing = await reproducingReleases(scenario.dir);
    if (failing.length) {
      expect(reproduced.length, `the README's table shows ${failing.join(', ')} reproducing, but no expectation row is reproduced`).toBeGreaterThan(0);
      return;
    }
    if (reproduced.length) return;
    // No real release fails this scenario (it documents a feature every release has): its judges are shown
    // able to fail by sentinels (test/sentinels.test.ts), which must then cover every case.
    const sentinels = (await loadSentinels(scenarios)).flatMap(({ scenario: declaring, sentinel }) =>
      resolveExpected(sentinel.expect, declaring, scenarios, sentinel.id).filter((e) => e.scenario === scenario).map((e) => e.case),
    );
    const uncovered = cases.filter((c) => !sentinels.includes(c));
    expect(uncovered, 'cases no expectation row and no sentinel reproduces').toEqual([]);
  });
});
