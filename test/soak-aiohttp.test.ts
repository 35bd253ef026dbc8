// The hidden-leak check for the aiohttp family: a leak build (aiohttp 3.14.5 whose TCPConnector neither
// pools nor closes a released connection, harness/soak/leak-builds.ts) passes the case once, and only the
// repetition sees it: `regress soak` says `leak` from the client's sockets and the server's open
// connections, the gate's `@repeat` row says reproduced, while the real 3.14.5 stays flat.
import { execa } from 'execa';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { openCache } from '../harness/cli/targets.ts';
import { SentinelWheels } from '../harness/sentinels/wheel-builder.ts';
import { isRepeat } from '../harness/soak/gate-repeat.ts';
import { AIOHTTP_POOL_LEAK, patchedLeakSpec } from '../harness/soak/leak-builds.ts';
import type { CaseResult } from '../harness/types.ts';

const ROOT = join(import.meta.dirname, '..');
const CELL = ['--scenario', 'aiohttp-redirect-leaks', '--case', 'request-cookies'];

async function soak(client: string): Promise<{ exitCode: number | undefined; stderr: string; result: Record<string, any> | null }> {
  const reports = await mkdtemp(join(tmpdir(), 'regress-soak-aiohttp-'));
  try {
    const run = await execa(process.execPath, ['bin/regress.js', 'soak', ...CELL, '--client', client, '--iterations', '10', '--reports', reports, '--json'], { cwd: ROOT, reject: false });
    let result = null;
    try {
      result = JSON.parse(run.stdout).soak;
    } catch {
      // asserted by the caller
    }
    return { exitCode: run.exitCode, stderr: run.stderr, result };
  } finally {
    await rm(reports, { recursive: true, force: true });
  }
}

const gate = (client: string) => execa(process.execPath, ['bin/regress.js', 'run', ...CELL, '--client', client, '--no-report', '--json'], { cwd: ROOT, reject: false });
const rows = (stdout: string): CaseResult[] => (JSON.parse(stdout || '{"results": []}') as { results: CaseResult[] }).results;

describe('the hidden-leak check on the aiohttp family', () => {
  test('the pool-leak build of aiohttp 3.14.5 holds once, leaks when repeated; the real 3.14.5 stays flat', async () => {
    const cache = await openCache({});
    const { spec, version } = await patchedLeakSpec(AIOHTTP_POOL_LEAK, new SentinelWheels(cache.python.path, cache.root));
    expect(version).toBe('aiohttp 3.14.5+sentinel.poolleak');
    const [leak, clean, leakGate, cleanGate] = await Promise.all([soak(spec), soak('aiohttp==3.14.5'), gate(spec), gate('aiohttp==3.14.5')]);

    expect(leak.result?.verdict, leak.stderr).toBe('leak');
    expect(leak.exitCode).toBe(1);
    expect(leak.result!.installed.packages.aiohttp).toBe('3.14.5+sentinel.poolleak');
    // Every iteration's own judge: the case holds each time, only the samples grow.
    expect(leak.result!.iterationVerdicts).toEqual({ fixed: 10 });
    const trend = (r: Record<string, any>, m: string) => r.trends.find((t: { metric: string }) => t.metric === m);
    // Seen by both sides: the client's TCP sockets and the connections open at the server, at least one
    // forgotten connection per iteration (margin: 0.5).
    for (const m of ['tcp', 'serverOpen']) {
      expect(trend(leak.result!, m).grows, m).toBe(true);
      expect(trend(leak.result!, m).slope, m).toBeGreaterThanOrEqual(0.5);
    }

    expect(clean.result?.verdict, clean.stderr).toBe('fixed');
    expect(clean.exitCode).toBe(0);
    expect(clean.result!.iterationVerdicts).toEqual({ fixed: 10 });
    for (const t of clean.result!.trends.filter((x: { judged: boolean }) => x.judged)) expect(Math.abs(t.slope), t.metric).toBeLessThan(0.1);

    // The gate: the single pass is fixed on both; only the leak build's repetition is reproduced.
    expect(leakGate.exitCode, leakGate.stderr).toBe(1);
    const leaked = rows(leakGate.stdout);
    expect(leaked.filter((r) => !isRepeat(r.case)).map((r) => [r.case, r.verdict])).toEqual([['request-cookies', 'fixed']]);
    const repeat = leaked.find((r) => isRepeat(r.case));
    expect(repeat?.verdict, repeat?.evidence.reason).toBe('reproduced');
    expect(repeat?.evidence.reason).toMatch(/^leaks when repeated: /);
    expect(cleanGate.exitCode, cleanGate.stderr).toBe(0);
    expect(rows(cleanGate.stdout).map((r) => [r.case, r.verdict]).sort()).toEqual([
      ['request-cookies', 'fixed'],
      ['request-cookies@repeat', 'fixed'],
    ]);
  }, 300_000);
});
