// Progress rewrites of results.json coalesce: a burst of finished cases is a couple of writes, not a queue
// the run's end waits behind; the final report is complete and written last.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
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
