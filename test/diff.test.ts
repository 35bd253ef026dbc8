// regress diff: how cells pair and what each change is called, then the command for real on the two
// httpx releases either side of the cancellation fix (httpcore 0.17 → 1.0), in both directions, from lock
// files read from disk and from a git ref.
import { execa } from 'execa';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { isLockInput } from '../harness/cli/client-inputs.ts';
import { changeKind, diffResults, regressed } from '../harness/diff.ts';
import { diffJson, diffMarkdown, diffText } from '../harness/report/diff-summary.ts';
import type { CaseResult, ReproductionMeasure, Verdict } from '../harness/types.ts';
import { problemLines } from './support/one-line.ts';

const root = join(import.meta.dirname, '..');
const locks = 'test/support/locks';
const regress = (...args: string[]) => execa(process.execPath, ['bin/regress.js', ...args], { reject: false, cwd: root });
let reports: string;

beforeAll(async () => {
  reports = await mkdtemp(join(tmpdir(), 'regress-diff-'));
});
afterAll(async () => {
  await rm(reports, { recursive: true, force: true });
});

function result(scenario: string, caseName: string, client: string, verdict: Verdict, packages: Record<string, string> = {}, module = 'httpx', measure?: ReproductionMeasure): CaseResult {
  return {
    scenario,
    case: caseName,
    client,
    verdict,
    installed: { python: '3.11.7', packages, module },
    evidence: { reason: `${client} said ${verdict}`, client: { steps: [] }, server: {}, ...(measure ? { measure } : {}) } as unknown as CaseResult['evidence'],
    durationMs: 1,
  };
}

const stale = (value: number, tolerance = 2): ReproductionMeasure => ({ what: 'requests stranded', value, tolerance });

describe('pairing and naming changes', () => {
  test.for([
    ['fixed', 'reproduced', 'brought-back'],
    ['not-applicable', 'reproduced', 'newly-reproduced'],
    ['error', 'reproduced', 'newly-reproduced'],
    ['reproduced', 'fixed', 'fixed-by-bump'],
    ['reproduced', 'reproduced', 'still-reproduced'],
    ['fixed', 'fixed', 'unchanged'],
    ['fixed', 'error', 'changed'],
    ['reproduced', 'not-applicable', 'changed'],
  ] as const)('%s → %s is %s', ([base, head, kind]) => {
    expect(changeKind(base, head)).toBe(kind);
  });

  test('cells pair by scenario/case across different clients; versions that changed are listed', () => {
    const diff = diffResults(
      [result('s', 'a', 'base: httpx==0.28.1', 'fixed', { httpx: '0.28.1', h11: '0.16.0' }), result('s', 'b', 'base: httpx==0.28.1', 'reproduced', { httpx: '0.28.1', h11: '0.16.0' })],
      [result('s', 'a', 'head: httpx2', 'reproduced', { httpx2: '2.1.0', h11: '0.16.0' }, 'httpx2'), result('s', 'b', 'head: httpx2', 'fixed', { httpx2: '2.1.0', h11: '0.16.0' }, 'httpx2')],
    );
    expect(diff.cells.map((c) => [c.case, c.kind])).toEqual([['a', 'brought-back'], ['b', 'fixed-by-bump']]);
    expect(diff.versions).toEqual([{ package: 'httpx', base: '0.28.1', head: null }, { package: 'httpx2', base: null, head: '2.1.0' }]);
    expect(regressed(diff)).toBe(true);
    const sides = { base: { input: 'httpx==0.28.1', clients: [] }, head: { input: 'httpx2', clients: [] } };
    const text = diffText(diff, sides);
    expect(text).toMatch(/brought back\s+s\/a\s+fixed\s+reproduced/);
    expect(text).toContain('base: httpx==0.28.1 said fixed');
    expect(text).toContain('head: httpx2 said reproduced');
    expect(diffMarkdown(diff, sides, null)).toMatch(/\| brought back \| s\/a \| ✅ fixed \| ❌ reproduced \|/);
  });

  test('a side is a lock when it names one, a spec otherwise', () => {
    expect(isLockInput('uv.lock')).toBe(true);
    expect(isLockInput('requirements/prod.txt')).toBe(true);
    expect(isLockInput('git:origin/main:pylock.toml')).toBe(true);
    expect(isLockInput('package.json')).toBe(true);
    expect(isLockInput('httpx==0.28.1')).toBe(false);
    expect(isLockInput('harness')).toBe(false);
    expect(isLockInput('httpx@file:///tmp/httpx-0.28.1-py3-none-any.whl')).toBe(false);
  });

  test.for([
    [8, 30, 'worse'],
    [8, 11, 'worse'],
    [8, 10, 'still-reproduced'],
    [8, 8, 'still-reproduced'],
    [30, 8, 'still-reproduced'],
  ] as const)('reproduced on both sides, measured %i → %i (tolerance 2): %s', ([base, head, kind]) => {
    expect(changeKind('reproduced', 'reproduced', { base: stale(base), head: stale(head) })).toBe(kind);
  });

  test('measures of different things, or a side without one, are not compared', () => {
    expect(changeKind('reproduced', 'reproduced', { base: stale(8), head: { what: 'streams left open', value: 30, tolerance: 0 } })).toBe('still-reproduced');
    expect(changeKind('reproduced', 'reproduced', { head: stale(30) })).toBe('still-reproduced');
    expect(changeKind('reproduced', 'reproduced', { base: stale(8) })).toBe('still-reproduced');
  });

  test('a reproduction that got worse is a change in every form, and fails the gate', () => {
    const base = [result('s', 'a', 'base: httpx==0.28.0', 'reproduced', { httpx: '0.28.0' }, 'httpx', stale(8)), result('s', 'b', 'base: httpx==0.28.0', 'reproduced', {}, 'httpx', stale(3))];
    const head = [result('s', 'a', 'head: httpx==0.28.1', 'reproduced', { httpx: '0.28.1' }, 'httpx', stale(30)), result('s', 'b', 'head: httpx==0.28.1', 'reproduced', {}, 'httpx', stale(4))];
    const diff = diffResults(base, head);
    expect(diff.cells.map((c) => [c.case, c.kind])).toEqual([['a', 'worse'], ['b', 'still-reproduced']]);
    expect(regressed(diff)).toBe(true);
    const sides = { base: { input: 'httpx==0.28.0', clients: [] }, head: { input: 'httpx==0.28.1', clients: [] } };
    const text = diffText(diff, sides);
    expect(text).toMatch(/worse\s+s\/a\s+reproduced \(8 requests stranded\)\s+reproduced \(30 requests stranded\)/);
    expect(text).toContain('requests stranded: 8 → 30 (tolerance 2)');
    expect(text).toMatch(/the bump makes 1 reproduced failure\(s\) worse \(1 still reproduced on both sides\)/);
    expect(diffMarkdown(diff, sides, null)).toMatch(/\| worse \| s\/a \| ❌ reproduced \(8 requests stranded\) \| ❌ reproduced \(30 requests stranded\) \|/);
    const json = JSON.parse(diffJson(diff, sides, 1)) as { changes: { case: string; kind: string; head: { measure: ReproductionMeasure } }[]; stillReproduced: { case: string }[] };
    expect(json.changes.map((c) => [c.case, c.kind, c.head.measure.value])).toEqual([['a', 'worse', 30]]);
    expect(json.stillReproduced.map((c) => c.case)).toEqual(['b']);
  });

  test('a cell missing on one side is inconclusive, never unchanged', () => {
    const diff = diffResults([result('s', 'a', 'base', 'fixed')], []);
    expect(diff.cells[0]!.kind).toBe('changed');
    expect(diff.cells[0]!.head.verdict).toBe('missing');
  });
});

interface DiffJson {
  changes: { scenario: string; case: string; kind: string; base: { verdict: string; reason: string }; head: { verdict: string; reason: string } }[];
  stillReproduced: unknown[];
  versions: { package: string; base: string | null; head: string | null }[];
  unchanged: number;
  exitCode: number;
}

interface MeasuredCell {
  case: string;
  kind: string;
  base: { measure: ReproductionMeasure };
  head: { measure: ReproductionMeasure };
}

const cancel = ['--scenario', 'slow-server-pool-timeout', '--concurrency', '8'];

describe('regress diff', () => {
  test('0.24.1 → 0.25.2 from requirements files: cancel fixed by the bump, exit 0, summary.md for the pull request', async () => {
    const { stdout, stderr, exitCode } = await regress(
      'diff', '--base', `${locks}/httpx-0.24.1/requirements.txt`, '--head', `${locks}/httpx-0.25.2/requirements.txt`, ...cancel, '--json', '--reports', reports,
    );
    expect(exitCode, stderr).toBe(0);
    const diff = JSON.parse(stdout) as DiffJson;
    expect(diff.exitCode).toBe(0);
    const c = diff.changes.find((x) => x.case === 'cancel')!;
    expect(c.kind).toBe('fixed-by-bump');
    expect(c.base.reason).toMatch(/PoolTimeout/);
    expect(c.head.reason).toMatch(/got 200/);
    expect(diff.versions).toEqual(expect.arrayContaining([{ package: 'httpx', base: '0.24.1', head: '0.25.2' }, { package: 'httpcore', base: '0.17.3', head: '1.0.9' }]));
    const [run] = await readdir(reports);
    const summary = await readFile(join(reports, run!, 'summary.md'), 'utf8');
    expect(summary).toMatch(/\| fixed by the bump \| slow-server-pool-timeout\/cancel \| ❌ reproduced \| ✅ fixed \|/);
    expect(summary).toContain('`httpx` 0.24.1 → 0.25.2');
    expect(JSON.parse(await readFile(join(reports, run!, 'diff.json'), 'utf8')).changes).toEqual(diff.changes);
  }, 10 * 60_000);

  test('the swapped direction, the base read from a git ref: cancel brought back, exit 1', async () => {
    const { stdout, stderr, exitCode } = await regress(
      'diff', '--base', `git:HEAD:${locks}/httpx-0.25.2/uv.lock`, '--head', `${locks}/httpx-0.24.1/pylock.toml`, ...cancel, '--json', '--no-report',
    );
    expect(exitCode, stderr).toBe(1);
    const diff = JSON.parse(stdout) as DiffJson;
    expect(diff.changes.find((x) => x.case === 'cancel')?.kind).toBe('brought-back');
    expect(diff.exitCode).toBe(1);
  }, 10 * 60_000);

  // A requests project's lock pins requests and urllib3: both families are gated, each with its own closure.
  // requests 2.31.0 + urllib3 2.0.5 → 2.32.0 + 2.0.6 fixes CVE-2024-35195 (requests) and CVE-2023-43804
  // (urllib3); the reverse bump brings both back and fails the gate, naming them.
  test.for([
    ['forward', 'fixed-by-bump', 0],
    ['reverse', 'brought-back', 1],
  ] as const)('requests + urllib3 lock bump, %s: the CVE cells %s, exit %i', { timeout: 10 * 60_000 }, async ([direction, kind, code]) => {
    const dir = await mkdtemp(join(tmpdir(), 'regress-diff-locks-'));
    try {
      const common = 'certifi==2024.2.2\ncharset-normalizer==3.3.2\nidna==3.6\n';
      await writeFile(join(dir, 'old.txt'), `requests==2.31.0\nurllib3==2.0.5\n${common}`);
      await writeFile(join(dir, 'new.txt'), `requests==2.32.0\nurllib3==2.0.6\n${common}`);
      const [base, head] = direction === 'forward' ? ['old.txt', 'new.txt'] : ['new.txt', 'old.txt'];
      const { stdout, stderr, exitCode } = await regress(
        'diff', '--base', join(dir, base), '--head', join(dir, head),
        '--scenario', 'requests-verify-sticky', '--scenario', 'urllib3-redirect-leaks', '--case', 'verify-after-unverified', '--case', 'cookie',
        '--json', '--no-report',
      );
      expect(exitCode, stderr).toBe(code);
      const diff = JSON.parse(stdout) as DiffJson;
      expect(diff.changes.map((c) => `${c.scenario}/${c.case}: ${c.kind}`).sort()).toEqual([
        `requests-verify-sticky/verify-after-unverified: ${kind}`,
        `urllib3-redirect-leaks/cookie: ${kind}`,
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  // An aiohttp project's lock pins aiohttp and its whole closure. 3.14.1 → 3.14.3 fixes aio-libs/aiohttp#12953
  // (the sock_read timer re-armed on a pooled connection, fixed in 3.14.2) and leaves #13329 (the retried PUT
  // with an empty file body, fixed in 3.14.4) reproduced; 3.14.3 → 3.14.4 fixes that one. The reverse bumps
  // bring them back and fail the gate, naming them. Pins: the closure uv resolved for each release (the same
  // on all three).
  const aiohttpClosure = 'aiohappyeyeballs==2.7.1\naiosignal==1.4.0\nattrs==26.1.0\nfrozenlist==1.8.0\nidna==3.21\nmultidict==6.9.1\npropcache==0.5.4\ntyping-extensions==4.16.0\nyarl==1.25.1\n';
  const aiohttpCells = ['--scenario', 'aiohttp-sock-read-rearmed', '--scenario', 'aiohttp-retry-empty-body', '--case', 'idle-gap', '--case', 'file-body-put'];
  test.for([
    ['3.14.1', '3.14.3', 0, ['aiohttp-sock-read-rearmed/idle-gap: fixed-by-bump'], ['aiohttp-retry-empty-body/file-body-put: still-reproduced'], 0],
    ['3.14.3', '3.14.1', 1, ['aiohttp-sock-read-rearmed/idle-gap: brought-back'], ['aiohttp-retry-empty-body/file-body-put: still-reproduced'], 0],
    ['3.14.3', '3.14.4', 0, ['aiohttp-retry-empty-body/file-body-put: fixed-by-bump'], [], 1],
    ['3.14.4', '3.14.3', 1, ['aiohttp-retry-empty-body/file-body-put: brought-back'], [], 1],
  ] as const)('aiohttp lock bump %s → %s: exit %i, %j', { timeout: 10 * 60_000 }, async ([from, to, code, changes, still, unchanged]) => {
    const dir = await mkdtemp(join(tmpdir(), 'regress-diff-aiohttp-'));
    try {
      await writeFile(join(dir, 'base.txt'), `aiohttp==${from}\n${aiohttpClosure}`);
      await writeFile(join(dir, 'head.txt'), `aiohttp==${to}\n${aiohttpClosure}`);
      const { stdout, stderr, exitCode } = await regress('diff', '--base', join(dir, 'base.txt'), '--head', join(dir, 'head.txt'), ...aiohttpCells, '--json', '--no-report');
      expect(exitCode, stderr).toBe(code);
      const diff = JSON.parse(stdout) as DiffJson & { stillReproduced: { scenario: string; case: string; kind: string }[] };
      const named = (cells: { scenario: string; case: string; kind: string }[]) => cells.map((c) => `${c.scenario}/${c.case}: ${c.kind}`);
      expect(named(diff.changes)).toEqual(changes);
      expect(named(diff.stillReproduced)).toEqual(still);
      // aiohttp-sock-read-rearmed is fixed on both 3.14.3 and 3.14.4: unchanged.
      expect(diff.unchanged).toBe(unchanged);
      expect(diff.versions.find((v) => v.package === 'aiohttp')).toEqual({ package: 'aiohttp', base: from, head: to });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  // httpx 0.28.1 (httpcore 1.0.9) strands 8 of the 15 follow-up requests, httpx2 2.5.0 (httpcore2 before
  // pydantic/httpx2#983) all 15: reproduced on both sides, and only the measure tells them apart.
  test.for([
    ['httpx==0.28.1', 'httpx2==2.5.0', 'worse', 1],
    ['httpx2==2.5.0', 'httpx==0.28.1', 'still-reproduced', 0],
  ] as const)('cancel-under-contention %s → %s: %s by its measure, exit %i', { timeout: 10 * 60_000 }, async ([base, head, kind, code]) => {
    const { stdout, stderr, exitCode } = await regress('diff', '--base', base, '--head', head, '--scenario', 'cancel-under-contention', '--concurrency', '4', '--json', '--no-report');
    expect(exitCode, stderr).toBe(code);
    const diff = JSON.parse(stdout) as { changes: MeasuredCell[]; stillReproduced: MeasuredCell[] };
    const cell = [...diff.changes, ...diff.stillReproduced].find((c) => c.case === 'churn')!;
    expect(cell.kind).toBe(kind);
    expect((kind === 'worse' ? diff.changes : diff.stillReproduced).map((c) => c.case)).toEqual(['churn']);
    const stranded: Record<string, number> = { 'httpx==0.28.1': 8, 'httpx2==2.5.0': 15 };
    expect([cell.base.measure.value, cell.head.measure.value]).toEqual([stranded[base], stranded[head]]);
    expect(cell.head.measure.what).toBe('requests stranded');
  });

  // Every reproduction of an open-upstream scenario carries a measure, and it is stable: the same release
  // on both sides is never `worse` (no clean bump cries wolf).
  test('identical sides over the open-upstream scenarios: every reproduction measured, equal on both sides, exit 0', async () => {
    const listed = JSON.parse((await regress('list', '--json')).stdout) as { scenarios: { id: string; status: string; families?: Record<string, string> }[] };
    // Open upstream for httpx, the family diffed here (keepalive-race is open upstream for urllib3 only).
    // A scenario of other families only (node-keepalive-hint) is not httpx's, whatever its overall status.
    const open = listed.scenarios.filter((x) => (x.families ? x.families.httpx : x.status) === 'open-upstream').map((x) => x.id);
    expect(open.length).toBeGreaterThanOrEqual(4);
    const { stdout, stderr, exitCode } = await regress('diff', '--base', 'httpx==0.28.1', '--head', 'httpx==0.28.1', ...open.flatMap((id) => ['--scenario', id]), '--concurrency', '4', '--json', '--no-report');
    expect(exitCode, stderr).toBe(0);
    const diff = JSON.parse(stdout) as { changes: unknown[]; stillReproduced: (MeasuredCell & { scenario: string })[] };
    expect(diff.changes).toEqual([]);
    expect(new Set(diff.stillReproduced.map((c) => c.scenario))).toEqual(new Set(open));
    for (const c of diff.stillReproduced) {
      expect(c.base.measure, `${c.scenario}/${c.case}`).toMatchObject({ what: expect.any(String), value: expect.any(Number), tolerance: expect.any(Number) });
      expect(c.head.measure.value, `${c.scenario}/${c.case}`).toBeLessThanOrEqual(c.base.measure.value + c.base.measure.tolerance);
    }
  }, 10 * 60_000);

  test('identical sides: nothing changed, exit 0', async () => {
    const { stdout, stderr, exitCode } = await regress('diff', '--base', 'httpx==0.28.1', '--head', 'httpx==0.28.1', '--scenario', 'pool-limits', '--concurrency', '8', '--no-report');
    expect(exitCode, stderr).toBe(0);
    expect(stdout).not.toMatch(/brought back|fixed by the bump/);
    expect(stdout).toMatch(/1 cell\(s\) unchanged; no verdict changed/);
  }, 10 * 60_000);

  test.for([
    [['diff', '--base', 'httpx==0.28.1'], /required option '--head <side>'/],
    [['diff', '--base', 'no-such-lock.txt', '--head', 'httpx'], /^regress: cannot read lock file no-such-lock\.txt: ENOENT$/m],
    [['diff', '--base', 'httpx=>1', '--head', 'httpx'], /^regress: 'httpx=>1'/m],
    [['diff', '--base', 'httpx', '--head', 'httpx', '--scenario', 'nope'], /^regress: unknown scenario 'nope'/m],
  ] as const)('bad input %j exits 2 with one line', async ([args, message]) => {
    const { stdout, stderr, exitCode } = await regress(...args, '--no-report');
    expect(exitCode).toBe(2);
    expect(problemLines(stderr)).toEqual([expect.stringMatching(message)]);
    expect(stdout).toBe('');
  });
});
