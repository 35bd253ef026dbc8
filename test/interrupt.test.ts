// Ctrl-C during a run: the clients stop (whole process groups), the command exits 130, and the report
// holds every case that finished before the interrupt.
import { execa } from 'execa';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';

test('an interrupted run stops its clients and keeps a report of what finished', async () => {
  const reports = await mkdtemp(join(tmpdir(), 'regress-interrupt-'));
  try {
    // Historic scenarios only: 0.28.1 reproduces none of them, so the exit code is the interrupt's (a
    // reproduction would win over it, as test/exit-codes.test.ts checks).
    const historic = ['custom-ssl-context', 'keepalive-expiry', 'pool-exhaustion-after-close', 'pool-limits', 'slow-server-pool-timeout'].flatMap((s) => ['--scenario', s]);
    const child = execa(process.execPath, ['bin/regress.js', 'run', '--client', 'httpx==0.28.1', ...historic, '--reports', reports], {
      cwd: join(import.meta.dirname, '..'),
      reject: false,
    });
    // Interrupt as soon as the first case has finished (results.json is rewritten after each): the
    // keep-alive case idles 6 s and is still running then, however long the environment took to install.
    const firstResult = async (): Promise<boolean> => {
      try {
        const [runId] = await readdir(reports);
        const { results } = JSON.parse(await readFile(join(reports, runId!, 'results.json'), 'utf8'));
        return results.length > 0;
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 600 && !(await firstResult()); i++) await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGINT');
    const { exitCode, stderr } = await child;
    expect(exitCode).toBe(130);
    expect(stderr).toMatch(/interrupted/);

    const [runId] = await readdir(reports);
    const dir = join(reports, runId!);
    expect((await readdir(dir)).sort()).toEqual(['junit.xml', 'report.html', 'results.json', 'summary.md']);
    const { run, results } = JSON.parse(await readFile(join(dir, 'results.json'), 'utf8'));
    expect(run.interrupted).toBe(true);
    expect(results.length).toBeGreaterThan(0);
    expect(results.length).toBeLessThan(run.planned);
    expect(results.map((r: { scenario: string }) => r.scenario)).not.toContain('keepalive-expiry');

    // No client program outlives the interrupt.
    const { stdout } = await execa('ps', ['-eo', 'args'], { reject: false });
    // Only this checkout's clients: the machine may be shared with other runs.
    expect(stdout).not.toContain(join(import.meta.dirname, '..', 'scenarios', 'keepalive-expiry', 'clients', 'httpx.py'));
  } finally {
    await rm(reports, { recursive: true, force: true });
  }
});
