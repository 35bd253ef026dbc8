// Known failures match by a PEP 440 specifier against the release really installed, are validated by a
// schema (one line per problem, exit 2), list the entries that matched nothing, and accept a measure.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, test } from 'vitest';
import { KnownFileError, knownEntryFor, knownLines, parseKnownFailures, readKnownFailures, splitKnown } from '../harness/known-failures.ts';
import { loadScenarios } from '../harness/scenarios.ts';
import type { CaseResult, ReproductionMeasure, Scenario, Verdict } from '../harness/types.ts';

const ROOT = join(import.meta.dirname, '..');

const result = (client: string, version: string, verdict: Verdict, scenario = 's', c = 'c', module = 'httpx', measure?: ReproductionMeasure): CaseResult => ({
  scenario,
  case: c,
  client,
  installed: { python: '3.11', packages: { [module]: version, httpcore: '1.0.9' }, module },
  verdict,
  evidence: { reason: verdict, client: { steps: [], facts: {}, exitCode: 0, timedOut: false }, server: {}, ...(measure ? { measure } : {}) },
  durationMs: 0,
});

// The validator reads only ids and case names.
const catalogue = [
  { meta: { id: 's' }, cases: [{ name: 'c', unavoidableWaitMs: 0 }, { name: 'd' }] },
  { meta: { id: 'gone' }, cases: [{ name: 'c' }] },
] as unknown as Scenario[];
const parse = (value: unknown): ReturnType<typeof parseKnownFailures> => parseKnownFailures(JSON.stringify(value), 'known.json', catalogue);
const problems = (value: unknown): string[] => {
  try {
    parse(value);
  } catch (error) {
    expect(error).toBeInstanceOf(KnownFileError);
    return (error as Error).message.split('\n');
  }
  throw new Error('expected a KnownFileError');
};

describe('client: a PEP 440 specifier against the installed release', () => {
  test('a range covers every release it names, whatever the spec was typed as', () => {
    const known = parse({ known: [{ scenario: 's', client: 'httpx>=0.25', why: 'open upstream' }] });
    expect(knownEntryFor(result('httpx', '0.29.0', 'reproduced'), known)).toBeDefined();
    expect(knownEntryFor(result('httpx==0.25.0', '0.25.0', 'reproduced'), known)).toBeDefined();
    expect(knownEntryFor(result('httpx==0.24.1', '0.24.1', 'reproduced'), known)).toBeUndefined();
    expect(knownEntryFor(result('httpx2', '2.6.0', 'reproduced', 's', 'c', 'httpx2'), known)).toBeUndefined();
    expect(knownEntryFor(result('httpx', '0.29.0', 'reproduced', 'other'), known)).toBeUndefined();
    // A pre-release that ran is a release that ran.
    expect(knownEntryFor(result('httpx==1.0.0b1', '1.0.0b1', 'reproduced'), known)).toBeDefined();
    expect(knownEntryFor(result('httpx==0.25.0rc1', '0.25.0rc1', 'reproduced'), known)).toBeUndefined();
  });

  test('an exact pin matches its local versions; a bare name matches every release of that package', () => {
    const pinned = parse({ known: [{ scenario: 's', client: 'httpx==0.28.1', why: 'w' }] });
    expect(knownEntryFor(result('httpx @ httpx-0.28.1+build-py3-none-any.whl', '0.28.1+build', 'reproduced'), pinned)).toBeDefined();
    expect(knownEntryFor(result('httpx', '0.29.0', 'reproduced'), pinned)).toBeUndefined();
    const any = parse({ known: [{ scenario: 's', client: 'HTTPX2', why: 'w' }] });
    expect(knownEntryFor(result('httpx2', '2.6.0', 'reproduced', 's', 'c', 'httpx2'), any)).toBeDefined();
    expect(knownEntryFor(result('httpx', '0.29.0', 'reproduced'), any)).toBeUndefined();
  });

  test('a leak repetition row is accepted only by an entry that names it, never by one written for its case', () => {
    const broad = parse({ known: [{ scenario: 's', client: 'httpx>=0.28', measure: 3, why: 'the case fails' }] });
    const leak = result('httpx', '0.29.0', 'reproduced', 's', 'c@repeat');
    leak.evidence.measure = { what: 'tcp gained per iteration', value: 3.08, tolerance: 0.08 };
    expect(knownEntryFor(leak, broad)).toBeUndefined();
    expect(splitKnown([leak], broad).fresh).toEqual([leak]);
    const named = parse({ known: [{ scenario: 's', case: 'c@repeat', client: 'httpx>=0.28', why: 'accepted leak' }] });
    expect(knownEntryFor(leak, named)).toBeDefined();
  });

  test('a dependency of the client can be named too (the release that ran, not only the client)', () => {
    const known = parse({ known: [{ scenario: 's', client: 'httpcore==1.0.9', why: 'w' }] });
    expect(knownEntryFor(result('httpx', '0.29.0', 'reproduced'), known)).toBeDefined();
  });
});

describe('the file is validated: one line per problem', () => {
  test('a misspelt key is named, not ignored', () => {
    const lines = problems({ known: [{ scenario: 's', clinet: 'httpx==0.28.1', why: 'w' }] });
    expect(lines).toEqual([expect.stringMatching(/^known\.json: known\[0\]: unknown key "clinet" \(allowed: scenario, case, client, why, measure\)$/)]);
  });

  test('wrong types, unknown scenarios and cases, bad specifiers, a missing why: each its own line', () => {
    const lines = problems({
      known: [
        { scenario: 'nope', why: 'w' },
        { scenario: 's', case: 'x', why: 'w' },
        { scenario: 's', client: 'httpx=>0.25', why: 'w' },
        { scenario: 's', measure: '5', why: 'w' },
        { scenario: 's', why: ' ' },
        { scenario: 's', client: 3, why: 'w' },
      ],
    });
    expect(lines).toHaveLength(6);
    expect(lines[0]).toMatch(/known\[0\]\.scenario: unknown scenario 'nope'/);
    expect(lines[1]).toMatch(/known\[1\]\.case: unknown case 'x' of s \(cases: c, d(, \w+@repeat)?\)/);
    expect(lines[2]).toMatch(/known\[2\]\.client: 'httpx=>0\.25' is not a package name with a PEP 440 specifier/);
    expect(lines[3]).toMatch(/known\[3\]\.measure: .*expected number/);
    expect(lines[4]).toMatch(/known\[4\]\.why: needs a non-empty "why"/);
    expect(lines[5]).toMatch(/known\[5\]\.client: .*expected string/);
  });

  test('the top level is strict too, and unreadable or non-JSON files are one line', async () => {
    expect(problems({ know: [] })).toEqual([expect.stringMatching(/unknown key "know"|known: .*expected array/), expect.anything()]);
    expect(() => parseKnownFailures('{', 'known.json', catalogue)).toThrow(/^known\.json: not JSON/);
    await expect(readKnownFailures('/nonexistent/known.json', catalogue)).rejects.toThrow(/cannot read known failures from \/nonexistent\/known\.json: ENOENT/);
  });

  test('the shipped example names real scenarios and today\'s latest httpx', async () => {
    const known = await readKnownFailures(join(ROOT, 'examples', 'known', 'httpx.json'), await loadScenarios());
    expect(known.length).toBeGreaterThan(0);
    // A release that changes nothing upstream must stay covered: the example is a range, not one pin.
    for (const k of known) expect(knownEntryFor(result('httpx', '0.29.0', 'reproduced', k.scenario, k.case ?? 'any'), [k]), k.scenario).toBeDefined();
  });
});

describe('split: accepted, new, gone, and matching nothing', () => {
  test('entries that matched no result are listed, one line each', () => {
    const known = parse({
      known: [
        { scenario: 's', client: 'httpx>=0.28', why: 'accepted' },
        { scenario: 'gone', client: 'httpx>=0.28', why: 'fixed meanwhile' },
        { scenario: 's', case: 'd', client: 'httpx<0.20', why: 'wrong range' },
      ],
    });
    const split = splitKnown(
      [result('httpx', '0.29.0', 'reproduced'), result('httpx', '0.29.0', 'reproduced', 's', 'd'), result('httpx', '0.29.0', 'fixed', 'gone')],
      known,
    );
    expect(split.accepted.map((a) => `${a.result.scenario}/${a.result.case}`)).toEqual(['s/c', 's/d']);
    expect(split.stale.map((k) => k.scenario)).toEqual(['gone']);
    expect(split.unmatched.map((k) => k.client)).toEqual(['httpx<0.20']);
    expect(knownLines(split, 'known.json')).toContain('known entry matched no result in this run: s/d × httpx<0.20');
  });

  test('a wrong range accepts nothing: the reproductions are new and the entry matched nothing', () => {
    const known = parse({ known: [{ scenario: 's', client: 'httpx<0.20', why: 'w' }] });
    const split = splitKnown([result('httpx', '0.29.0', 'reproduced')], known);
    expect(split.fresh).toHaveLength(1);
    expect(split.unmatched).toHaveLength(1);
  });
});

describe('an accepted measure', () => {
  const m = (value: number): ReproductionMeasure => ({ what: 'pool slots leaked', value, tolerance: 1 });
  const known = parse({ known: [{ scenario: 's', client: 'httpx>=0.28', why: 'leaks', measure: 5 }] });

  test('within the accepted value plus the tolerance is known; beyond it is new, with both numbers', () => {
    expect(splitKnown([result('httpx', '0.29.0', 'reproduced', 's', 'c', 'httpx', m(6))], known).accepted).toHaveLength(1);
    const split = splitKnown([result('httpx', '0.29.0', 'reproduced', 's', 'c', 'httpx', m(7))], known);
    expect(split.fresh).toHaveLength(1);
    expect(split.worse).toHaveLength(1);
    expect(knownLines(split, 'known.json')).toEqual([
      'NEW: s/c × httpx reproduced beyond the accepted measure: 7 pool slots leaked, accepted 5 (tolerance 1): reproduced',
    ]);
  });

  test('a result without a measure is accepted, and the line says it was not compared', () => {
    const split = splitKnown([result('httpx', '0.29.0', 'reproduced')], known);
    expect(split.accepted).toHaveLength(1);
    expect(split.accepted[0]!.unmeasured).toBe(true);
    expect(knownLines(split, 'known.json')[1]).toMatch(/accepts measure 5, the judge gave none; accepted without comparing/);
  });
});

// The CLI: a file with a problem is exit 2 with one line per problem, before any case runs.
test('run --known with a misspelt key exits 2 with one line', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'regress-known-'));
  try {
    const file = join(dir, 'known.json');
    await writeFile(file, JSON.stringify({ known: [{ scenario: 'stream-double-cancel', clinet: 'httpx==0.28.1', why: 'w' }] }));
    const run = await execa(process.execPath, [join(ROOT, 'bin', 'regress.js'), 'run', '--client', 'httpx==0.28.1', '--known', file, '--no-report'], { reject: false, cwd: dir });
    expect(run.exitCode, run.stderr).toBe(2);
    const lines = run.stderr.split('\n').filter((l) => l.startsWith('regress: '));
    expect(lines).toEqual([`regress: ${file}: known[0]: unknown key "clinet" (allowed: scenario, case, client, why, measure)`]);
    expect(run.stdout).not.toMatch(/reproduced|fixed/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}, 120_000);

test('run --known with the shipped example accepts a real reproduction; --json carries the marks', async () => {
  const run = await execa(
    process.execPath,
    [join(ROOT, 'bin', 'regress.js'), 'run', '--client', 'httpx==0.28.1', '-s', 'stream-double-cancel', '--case', 'double-cancel', '--known', join(ROOT, 'examples', 'known', 'httpx.json'), '--json', '--no-report'],
    { reject: false, cwd: ROOT },
  );
  const out = JSON.parse(run.stdout) as { results: CaseResult[]; known: { accepted: { why: string }[]; fresh: unknown[]; unmatched: string[] } };
  expect(out.results.map((r) => r.verdict), run.stderr).toEqual(['reproduced']);
  expect(out.known.accepted).toEqual([expect.objectContaining({ scenario: 'stream-double-cancel', case: 'double-cancel', why: expect.stringMatching(/encode\/httpx#3782/) })]);
  expect(out.known.fresh).toEqual([]);
  // The other five entries name cells this run did not select: listed, not hidden, not failing.
  expect(out.known.unmatched).toHaveLength(5);
  // The example accepts the measure 0.28.1 shows (3 streams), so the same failure stays known.
  expect(out.results[0]!.evidence.measure).toEqual(expect.objectContaining({ value: 3 }));
  expect(run.stderr).toMatch(/^known entry matched no result in this run: h2-stream-slots × httpx>=0\.28\.1 \(measure 3\)$/m);
  expect(run.exitCode, run.stderr).toBe(0);
}, 120_000);
