// regress soak: the trend rule on made-up series (a leak of 1 per 10 iterations is caught, noise is not), and
// real soaks in one client process: the close-leak sentinel build and a release affected by
// encode/httpx#3782 must come out `leak`, httpx 0.28.1 on the same call path `fixed`; bad input is one line;
// Ctrl-C leaves no process and exits 130.
import { execa } from 'execa';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { type SoakPoint, soakVerdict } from '../harness/soak/run-soak.ts';
import { slope, trendOf, warmupFor } from '../harness/soak/trend.ts';

const ROOT = join(import.meta.dirname, '..');

function points(n: number, f: (i: number) => Partial<SoakPoint>): SoakPoint[] {
  return Array.from({ length: n }, (_, k) => ({
    iteration: k + 1,
    t: k,
    verdict: 'fixed' as const,
    fds: 8,
    tcp: 0,
    unclosed: 0,
    serverOpen: 0,
    poolConnections: null,
    objects: 336,
    rssKb: 30000,
    ...f(k + 1),
  }));
}

const judge = (ps: SoakPoint[]) =>
  soakVerdict({
    points: ps,
    records: ps.map((p) => ({ iteration: p.iteration, status: 'ok' as const, steps: [], facts: {}, sample: {} as never })),
    iterationVerdicts: { fixed: ps.length },
    firstOf: {},
  });

describe('the trend rule', () => {
  test('least squares slope', () => {
    expect(slope([1, 2, 3, 4], [2, 4, 6, 8])).toBeCloseTo(2);
    expect(slope([1, 2, 3], [5, 5, 5])).toBe(0);
  });

  test('a flat run is fixed, including one-off transients and RSS growth', () => {
    const flat = judge(points(12, (i) => ({ fds: i === 12 ? 9 : 8, objects: 336 + (i % 2), rssKb: 30000 + i * 500 })));
    expect(flat.verdict).toBe('fixed');
    // Noise cannot pass the threshold: ±1 alternating, and a single late spike.
    expect(trendOf('fds', [8, 9, 8, 9, 8, 9, 8, 9, 8, 9], warmupFor(10))?.grows).toBe(false);
    expect(trendOf('tcp', [0, 0, 0, 0, 0, 0, 0, 0, 0, 2], warmupFor(10))?.grows).toBe(false);
  });

  test('one socket per 10 iterations is a leak once it adds up; one per iteration at once', () => {
    expect(judge(points(40, (i) => ({ tcp: Math.floor(i / 10) }))).verdict).toBe('leak');
    const fast = judge(points(10, (i) => ({ serverOpen: i })));
    expect(fast.verdict).toBe('leak');
    expect(fast.reason).toMatch(/client connections open at the server \+1\.00\/iteration/);
  });

  test('a step during the warm-up that stays flat is not a leak (a cache filled once)', () => {
    expect(judge(points(12, (i) => ({ objects: i <= 2 ? 336 : 420 }))).verdict).toBe('fixed');
  });

  test('a crashed iteration or a judge error is an error, unless the samples already show a leak', () => {
    const ps = points(10, () => ({}));
    const records = ps.map((p) => ({ iteration: p.iteration, status: 'ok' as const, steps: [], facts: {}, sample: {} as never }));
    const crashed = [...records.slice(0, 9), { ...records[9]!, status: 'crashed' as const, reason: 'OSError: too many open files' }];
    expect(soakVerdict({ points: ps, records: crashed, iterationVerdicts: { fixed: 9, error: 1 }, firstOf: {} }).verdict).toBe('error');
    const leaking = points(10, (i) => ({ fds: 8 + i }));
    const leak = soakVerdict({ points: leaking, records: crashed, iterationVerdicts: { fixed: 9, error: 1 }, firstOf: {} });
    expect(leak.verdict).toBe('leak');
    expect(leak.reason).toMatch(/iteration 10 then crashed \(OSError: too many open files\)/);
    const judgeError = soakVerdict({ points: ps, records, iterationVerdicts: { fixed: 9, error: 1 }, firstOf: { error: { iteration: 4, reason: 'unrecognised outcome' } } });
    expect(judgeError.verdict).toBe('error');
    expect(judgeError.reason).toMatch(/iteration 4/);
  });

  test('flat, but the case reproduced on some iteration: reproduced (it wins over an iteration judged error), never fixed', () => {
    const ps = points(10, () => ({}));
    const records = ps.map((p) => ({ iteration: p.iteration, status: 'ok' as const, steps: [], facts: {}, sample: {} as never }));
    const mixed = soakVerdict({
      points: ps,
      records,
      iterationVerdicts: { fixed: 8, reproduced: 1, error: 1 },
      firstOf: { error: { iteration: 2, reason: 'unrecognised outcome' }, reproduced: { iteration: 6, reason: 'PoolTimeout' } },
    });
    expect(mixed.verdict).toBe('reproduced');
    expect(mixed.reason).toMatch(/no leak .* reproduced from iteration 6: PoolTimeout/);
  });

  test('too few iterations cannot be judged', () => {
    expect(judge(points(5, () => ({}))).verdict).toBe('error');
  });
});

async function soak(args: string[]): Promise<{ exitCode: number | undefined; stderr: string; result: Record<string, any> | null; reports: string }> {
  const reports = await mkdtemp(join(tmpdir(), 'regress-soak-test-'));
  const run = await execa(process.execPath, ['bin/regress.js', 'soak', ...args, '--reports', reports, '--json'], { cwd: ROOT, reject: false });
  let result = null;
  try {
    result = JSON.parse(run.stdout).soak;
  } catch {
    // asserted by the caller
  }
  return { exitCode: run.exitCode, stderr: run.stderr, result, reports };
}

describe('regress soak, real releases in one client process', () => {
  test('bad input is one line and exit 2', async () => {
    for (const args of [
      ['--scenario', 'pool-limits'],
      ['--scenario', 'pool-limits', '--iterations', '3'],
      ['--scenario', 'pool-limits', '--duration', 'soon'],
      ['--scenario', 'slow-server-pool-timeout', '--iterations', '10'],
      ['--scenario', 'no-such-scenario', '--iterations', '10'],
    ]) {
      const run = await execa(process.execPath, ['bin/regress.js', 'soak', ...args], { cwd: ROOT, reject: false });
      expect(run.exitCode, args.join(' ')).toBe(2);
      expect(run.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(run.stderr).toMatch(/^regress: /);
    }
  });

  test('the close-leak sentinel build leaks one socket per connection; httpx 0.28.1 stays flat with a report and chart', async () => {
    const [leak, clean] = await Promise.all([
      soak(['--scenario', 'pool-exhaustion-after-close', '--sentinel', 'pool-exhaustion-after-close/close-leak', '--release', 'httpx==0.28.1', '--release', 'httpcore==1.0.9', '--iterations', '10']),
      soak(['--scenario', 'pool-exhaustion-after-close', '--client', 'httpx==0.28.1', '--iterations', '10']),
    ]);
    try {
      expect(leak.result?.verdict, leak.stderr).toBe('leak');
      expect(leak.exitCode).toBe(1);
      expect(leak.result?.installed.packages.httpx).toBe('0.28.1+sentinel.closeleak');
      const unclosed = leak.result!.trends.find((t: { metric: string }) => t.metric === 'unclosed');
      // 4 cycles, 4 connections, none closed by the client: 4 per iteration (margin: at least 2).
      expect(unclosed.grows).toBe(true);
      expect(unclosed.slope).toBeGreaterThanOrEqual(2);

      expect(clean.result?.verdict, clean.stderr).toBe('fixed');
      expect(clean.exitCode).toBe(0);
      expect(clean.result!.iterations).toBe(10);
      expect(clean.result!.iterationVerdicts).toEqual({ fixed: 10 });
      for (const t of clean.result!.trends.filter((x: { judged: boolean }) => x.judged)) expect(Math.abs(t.slope), t.metric).toBeLessThan(0.1);

      // The report: four files, the samples as inline SVG (no script, no network).
      const [runId] = await readdir(leak.reports);
      const dir = join(leak.reports, runId!);
      expect((await readdir(dir)).sort()).toEqual(['junit.xml', 'report.html', 'results.json', 'summary.md']);
      const html = await readFile(join(dir, 'report.html'), 'utf8');
      expect(html).toMatch(/<svg [^>]*class="soak-chart" data-metric="unclosed"/);
      expect(html).toContain('GROWS');
      expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
      expect(await readFile(join(dir, 'junit.xml'), 'utf8')).toContain('<failure type="leak"');
      expect(JSON.parse(await readFile(join(dir, 'results.json'), 'utf8')).soak.points).toHaveLength(10);
    } finally {
      await Promise.all([rm(leak.reports, { recursive: true, force: true }), rm(clean.reports, { recursive: true, force: true })]);
    }
  }, 240_000);

  test('encode/httpx#3782 on httpx 0.20.0 (httpcore 0.13.7): the double-cancelled streams\' sockets pile up, seen by the client and the server', async () => {
    const run = await soak(['--scenario', 'stream-double-cancel', '--case', 'double-cancel', '--client', 'httpx==0.20.0', '--iterations', '8']);
    try {
      expect(run.result?.verdict, run.stderr).toBe('leak');
      expect(run.exitCode).toBe(1);
      const grows = (m: string) => run.result!.trends.find((t: { metric: string }) => t.metric === m);
      expect(grows('tcp').grows).toBe(true);
      expect(grows('serverOpen').grows).toBe(true);
      expect(grows('serverOpen').slope).toBeGreaterThanOrEqual(2);
    } finally {
      await rm(run.reports, { recursive: true, force: true });
    }
  }, 240_000);

  test('Ctrl-C stops the client, exits 130 and leaves no process behind', async () => {
    const reports = await mkdtemp(join(tmpdir(), 'regress-soak-int-'));
    try {
      const child = execa(process.execPath, ['bin/regress.js', 'soak', '--scenario', 'custom-ssl-context', '--case', 'trusted-ca', '--client', 'httpx==0.28.1', '--iterations', '500', '--reports', reports], { cwd: ROOT, reject: false });
      let seen = '';
      child.stderr?.on('data', (chunk: Buffer) => (seen += chunk.toString()));
      for (let i = 0; i < 1200 && !/\[soak\] \d+\/500 iterations/.test(seen); i++) await new Promise((r) => setTimeout(r, 100));
      child.kill('SIGINT');
      const { exitCode } = await child;
      expect(seen).toMatch(/\[soak\] \d+\/500 iterations/);
      expect(exitCode).toBe(130);
      const { stdout } = await execa('ps', ['-eo', 'args'], { reject: false });
      // The driver runs in a child forked by the environment's warm worker (runpy): neither may outlive the run.
      expect(stdout).not.toContain(join(ROOT, 'harness', 'python', 'soak_driver.py'));
      expect(stdout).not.toContain(join(ROOT, 'harness', 'python', 'worker.py'));
      const [runId] = await readdir(reports);
      const { run, soak: result } = JSON.parse(await readFile(join(reports, runId!, 'results.json'), 'utf8'));
      expect(run.interrupted).toBe(true);
      expect(result.iterations).toBeGreaterThanOrEqual(10);
    } finally {
      await rm(reports, { recursive: true, force: true });
    }
  }, 240_000);
});
