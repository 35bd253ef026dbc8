// Sentinel definitions are checked when they load (a mistake is the author's, found before anything is
// built), every scenario's sentinels resolve to real cases, and the command's exit code ranks a wrong
// verdict above an error.
import { describe, expect, test } from 'vitest';
import { coveredFamilies } from '../harness/scenario-families.ts';
import { loadScenarios } from '../harness/scenarios.ts';
import { defineSentinels, localLabel, type SentinelSpec } from '../harness/sentinels/definition.ts';
import { loadSentinels, resolveExpected } from '../harness/sentinels/load.ts';
import { sentinelExitCode, type SentinelCheck } from '../harness/sentinels/run-sentinels.ts';

const valid: SentinelSpec = {
  id: 'close-leak',
  summary: 's',
  expect: ['reenter'],
  variants: [{ line: 'httpx', package: 'httpx', edits: [{ file: 'httpx/_client.py', find: 'a', replace: 'b' }] }],
};

describe('defineSentinels', () => {
  test('a valid definition gets an explanation naming its line, package and local version', () => {
    const [sentinel] = defineSentinels([valid]);
    expect(sentinel!.explain()).toMatch(/^close-leak: s\n {2}expects reenter reproduced\n {2}httpx line: patch the newest httpx \(1 edit\(s\) in httpx\/_client\.py\) as \+sentinel\.closeleak/);
    expect(localLabel('no-max-connections')).toBe('sentinel.nomaxconnections');
  });

  test.for([
    [{ ...valid, id: 'Close_Leak' }, /kebab-case/],
    [{ ...valid, id: 'unpatched' }, /not 'unpatched'/],
    [{ ...valid, expect: [] }, /expects no case/],
    [{ ...valid, variants: [] }, /no variant/],
    [{ ...valid, variants: [{ ...valid.variants[0]!, package: 'httpcore2' }] }, /httpcore2 is not a package of the httpx line/],
    [{ ...valid, variants: [{ ...valid.variants[0]!, edits: [] }] }, /no edit/],
    [{ ...valid, variants: [{ ...valid.variants[0]!, edits: [{ file: 'f', find: '', replace: 'x' }] }] }, /empty find/],
    [{ ...valid, variants: [{ ...valid.variants[0]!, edits: [{ file: 'f', find: 'x', replace: 'x' }] }] }, /changes nothing/],
  ] as const)('rejects %o', ([spec, message]) => {
    expect(() => defineSentinels([spec as SentinelSpec])).toThrow(message);
  });

  test('rejects an id declared twice', () => {
    expect(() => defineSentinels([valid, valid])).toThrow(/declared twice/);
  });
});

describe("the scenarios' sentinels", () => {
  test('every historic scenario declares sentinels for every family it covers, and each expected case exists', async () => {
    const all = await loadScenarios();
    const declared = await loadSentinels(all);
    // An open-upstream failure is live in the newest httpx: it can only be put back where it is fixed.
    for (const scenario of all.filter((s) => (s.meta.status ?? 'historic') === 'historic')) {
      const lines = declared.filter((d) => d.scenario === scenario).flatMap((d) => d.sentinel.variants.map((v) => v.line));
      // node-http and fetch: the release is the Node binary, which no sentinel line patches (lines.ts).
      expect(new Set(lines), scenario.meta.id).toEqual(new Set(coveredFamilies(scenario).filter((f) => !f.nodeIsRelease).map((f) => f.id)));
    }
    for (const { scenario, sentinel } of declared) {
      for (const v of sentinel.variants) expect(resolveExpected(v.expect ?? sentinel.expect, scenario, all, sentinel.id).length).toBeGreaterThan(0);
    }
    expect(() => resolveExpected(['no-such-case'], all[0]!, all, 'x')).toThrow(/no case of any scenario/);
  });
});

describe('sentinelExitCode', () => {
  const check = (over: Partial<SentinelCheck>): SentinelCheck => ({
    role: 'sentinel', declaredIn: 'p', sentinel: 's', line: 'httpx', build: 'b', client: 'c', scenario: 'p', case: 'c',
    expected: 'reproduced', verdict: 'reproduced', ok: true, reason: '', wrongBuild: false, ...over,
  });
  const stale = { declaredIn: 'p', sentinel: 's', line: 'httpx' as const, package: 'httpx', version: '1', message: 'm' };

  test.for([
    ['all held', [check({})], [], 0],
    ['a sentinel not caught', [check({ verdict: 'fixed', ok: false })], [], 1],
    ['an unpatched rebuild reproduced', [check({ role: 'unpatched', expected: 'fixed', ok: false })], [], 1],
    ['not caught wins over an error', [check({ verdict: 'fixed', ok: false }), check({ verdict: 'error', ok: false })], [stale], 1],
    ['an error alone', [check({ verdict: 'error', ok: false })], [], 2],
    ['a stale sentinel', [check({})], [stale], 2],
    ['an environment holding another build', [check({ ok: false, wrongBuild: true })], [], 2],
  ] as const)('%s → %i', ([, checks, staleList, code]) => {
    expect(sentinelExitCode({ checks: [...checks], stale: [...staleList] })).toBe(code);
  });
});
