// Issue 10's proof that faults alone make a scenario: examples/scenarios/slow-server-from-faults (a
// project-style folder importing `regress/kit`, whose server is one `delay` fault and no server code)
// reproduces httpx #1171 on its broken release and is fixed on the releases after, judged through the real
// entry point with the folder passed as --scenarios.
import { execa } from 'execa';
import { join } from 'node:path';
import { expect, test } from 'vitest';

const checkout = join(import.meta.dirname, '..');

test('a scenario made of faults alone: reproduced on httpx 0.20.0, fixed on 0.21.0 and 0.28.1 (exit 1)', { timeout: 240_000 }, async () => {
  const run = await execa(
    process.execPath,
    [join(checkout, 'bin', 'regress.js'), 'run', '--scenarios', 'examples/scenarios', '--scenario', 'slow-server-from-faults',
      '-c', 'httpx==0.20.0', '-c', 'httpx==0.21.0', '-c', 'httpx==0.28.1', '--concurrency', '8', '--json', '--no-report'],
    { cwd: checkout, reject: false },
  );
  expect(run.exitCode, run.stderr).toBe(1);
  const results = (JSON.parse(run.stdout) as { results: { scenario: string; client: string; verdict: string; evidence: { reason: string; server?: { app?: { faults?: unknown[] } } } }[] }).results;
  const verdicts = Object.fromEntries(results.map((r) => [r.client, r.verdict]));
  expect(verdicts).toEqual({ 'httpx==0.20.0': 'reproduced', 'httpx==0.21.0': 'fixed', 'httpx==0.28.1': 'fixed' });
  for (const r of results) expect(r.scenario).toBe('slow-server-from-faults');
  expect(results.find((r) => r.client === 'httpx==0.20.0')!.evidence.reason).toMatch(/PoolTimeout/);
});
