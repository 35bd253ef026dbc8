// Progress rewrites of results.json coalesce: a burst of finished cases is a couple of writes, not a queue
// the run's end waits behind; the final report is complete and written last.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { type DiffCell, diffResults } from '../harness/diff.ts';
import { type KnownMarks, knownMarks, splitKnown } from '../harness/known-failures.ts';
import { diffSectionHtml } from '../harness/report/diff-html.ts';
import { reportHtml } from '../harness/report/html.ts';
import { ReportWriter } from '../harness/report/writer.ts';
import type { CaseResult } from '../harness/types.ts';

const result = (n: number): CaseResult => ({
  scenario: 'pool-limits',
  case: `c${n}`,
  client: 'httpx==0.28.1',
  installed: null,
  verdict: 'fixed',
  evidence: { reason: 'x'.repeat(2000), client: { steps: [], facts: {}, exitCode: 0, timedOut: false }, server: {} },
  durationMs: 1,
});

test('500 progress calls in a burst coalesce; finish writes every result, not interrupted', async () => {
  const root = await mkdtemp(join(tmpdir(), 'regress-writer-'));
  try {
    const writer = new ReportWriter(root, { id: 'run-1', startedAt: new Date().toISOString(), planned: 500, command: 'test' });
    const results: CaseResult[] = [];
    const writes: Promise<void>[] = [];
    for (let n = 1; n <= 500; n++) {
      results.push(result(n));
      writes.push(writer.progress(results));
    }
    // Every call while one write is queued shares it: at most a handful of distinct writes.
    expect(new Set(writes).size).toBeLessThanOrEqual(3);
    await Promise.all(writes);
    const progress = JSON.parse(await readFile(join(writer.dir, 'results.json'), 'utf8'));
    expect(progress.results).toHaveLength(500);
    expect(progress.run.interrupted).toBe(true);
    results.push(result(501));
    writer.progress(results);
    await writer.finish(results, false);
    const final = JSON.parse(await readFile(join(writer.dir, 'results.json'), 'utf8'));
    expect(final.results).toHaveLength(501);
    expect(final.run.interrupted).toBe(false);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

// With --known the reports agree with the exit code: known reproductions are skipped tests (with the why)
// in junit.xml and marked known in summary.md; new ones stay failures and are marked NEW.
describe('reports of a run --known', () => {
  const installed = (httpx: string) => ({ python: '3.11', packages: { httpx, httpcore: '1.0.9', h2: null }, module: 'httpx' });
  const made = (scenario: string, verdict: CaseResult['verdict']): CaseResult => ({
    scenario,
    case: 'c',
    client: 'httpx',
    installed: installed('0.29.0'),
    verdict,
    evidence: { reason: `${scenario} ${verdict}`, client: { steps: [], facts: {}, exitCode: 0, timedOut: false }, server: {} },
    durationMs: 1,
  });
  const known = [
    { scenario: 'open-a', client: 'httpx>=0.28.1', why: 'encode/httpx#1 open upstream' },
    { scenario: 'open-b', client: 'httpx<0.20', why: 'a wrong range' },
  ];

  async function written(results: CaseResult[]): Promise<{ junit: string; summary: string; json: { known?: KnownMarks }; html: string }> {
    const root = await mkdtemp(join(tmpdir(), 'regress-known-report-'));
    try {
      const writer = new ReportWriter(root, { id: 'k', startedAt: new Date().toISOString(), planned: results.length, command: 'test' }, (rs) =>
        knownMarks(splitKnown(rs, known), 'known.json'),
      );
      await writer.finish(results, false);
      const read = (f: string) => readFile(join(writer.dir, f), 'utf8');
      return { junit: await read('junit.xml'), summary: await read('summary.md'), json: JSON.parse(await read('results.json')), html: await read('report.html') };
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  }

  test('a green --known run: no failures, the known cell skipped with the why', async () => {
    const { junit, summary, json } = await written([made('open-a', 'reproduced'), made('historic', 'fixed')]);
    expect(junit).toMatch(/<testsuites name="regress" tests="2" failures="0" errors="0" skipped="1"/);
    expect(junit).not.toMatch(/<failure/);
    expect(junit).toMatch(/<skipped message="known failure, reproduced \(accepted: encode\/httpx#1 open upstream\): open-a reproduced">/);
    expect(summary).toMatch(/❌ 1 reproduced \(1 known, 0 new\)/);
    expect(summary).toMatch(/\| open-a\/c \| ❌ reproduced \(known\) \|/);
    expect(summary).toMatch(/\| \*installed\* \| httpx 0\.29\.0 · httpcore 1\.0\.9 \|/);
    expect(summary).toMatch(/known entry matched no result in this run: `open-b × httpx<0\.20`/);
    expect(json.known?.accepted).toEqual([{ scenario: 'open-a', case: 'c', client: 'httpx', why: 'encode/httpx#1 open upstream' }]);
  });

  test('a new reproduction stays a failure and is marked NEW beside the known one', async () => {
    const { junit, summary, html } = await written([made('open-a', 'reproduced'), made('fresh', 'reproduced')]);
    expect(junit).toMatch(/<testsuites name="regress" tests="2" failures="1" errors="0" skipped="1"/);
    expect(junit).toMatch(/<failure type="reproduced" message="fresh reproduced">/);
    expect(summary).toMatch(/\| fresh\/c \| ❌ reproduced \*\*NEW\*\* \|/);
    expect(summary).toMatch(/- ❌ \*\*NEW\*\*: \*\*fresh\/c\*\*/);
    // The page's data carries the marks and each column's installed releases (rendered by its script).
    expect(html).toContain('"fresh":[{"scenario":"fresh","case":"c","client":"httpx"}]');
    expect(html).toContain('"releases":{"httpx":["httpx 0.29.0","httpcore 1.0.9"]}');
  });

  test('without --known, reproductions are failures as before and nothing is marked', async () => {
    const root = await mkdtemp(join(tmpdir(), 'regress-known-report-'));
    try {
      const writer = new ReportWriter(root, { id: 'k', startedAt: new Date().toISOString(), planned: 1, command: 'test' });
      await writer.finish([made('open-a', 'reproduced')], false);
      const junit = await readFile(join(writer.dir, 'junit.xml'), 'utf8');
      expect(junit).toMatch(/failures="1" errors="0" skipped="0"/);
      expect(await readFile(join(writer.dir, 'summary.md'), 'utf8')).toMatch(/\| open-a\/c \| ❌ reproduced \|/);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

// The diff's report.html leads with what changed: both sides as given and as installed, the versions that
// changed, and each cell's change, including a kind this module does not know by name.
test('the diff section names base and head, the versions that changed and each cell\'s change', () => {
  const side = (httpcore: string, verdict: CaseResult['verdict'], label: string): CaseResult => ({
    scenario: 'slow-server-pool-timeout',
    case: 'cancel',
    client: label,
    installed: { python: '3.11', packages: { httpx: '0.29.0', httpcore }, module: 'httpx' },
    verdict,
    evidence: { reason: `${verdict} on httpcore ${httpcore} <b>`, client: { steps: [], facts: {}, exitCode: 0, timedOut: false }, server: {} },
    durationMs: 1,
  });
  const base = [side('1.0.9', 'fixed', 'base: httpx==0.29.0')];
  const head = [side('1.0.2', 'reproduced', 'head: httpx==0.29.0')];
  const diff = diffResults(base, head);
  diff.cells.push({ ...diff.cells[0]!, case: 'worse', kind: 'measure-worse' as DiffCell['kind'] });
  const run = { run: { id: 'd', startedAt: '', interrupted: false, planned: 2, command: 'diff', host: { platform: 'p', node: 'n' } }, results: [...base, ...head] };
  const sides = { base: { input: 'git:main:requirements.txt', clients: ['base: httpx==0.29.0'] }, head: { input: 'requirements.txt', clients: ['head: httpx==0.29.0'] } };
  const html = reportHtml(run, { prepend: diffSectionHtml(diff, sides, run) });
  expect(html).toMatch(/<h3>base: <span class="mono">git:main:requirements\.txt<\/span><\/h3><ul><li><span class="mono">base: httpx==0\.29\.0<\/span>: httpx 0\.29\.0 · httpcore 1\.0\.9<\/li>/);
  expect(html).toMatch(/head: httpx==0\.29\.0<\/span>: httpx 0\.29\.0 · httpcore 1\.0\.2/);
  expect(html).toMatch(/<tr><td class="mono">httpcore<\/td><td>1\.0\.9<\/td><td>1\.0\.2<\/td><\/tr>/);
  expect(html).toMatch(/<tr class="c-brought-back"><td>brought back<\/td><th scope="row">slow-server-pool-timeout\/cancel<\/th><td class="v-fixed"/);
  expect(html).toMatch(/<tr class="c-measure-worse"><td>measure-worse<\/td>/);
  expect(html).toContain('fixed on httpcore 1.0.9 &lt;b&gt;');
  expect(html).not.toContain('1.0.9 <b>');
});
