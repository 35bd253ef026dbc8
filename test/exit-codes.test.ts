// The exit code is what a CI gate reads: a reproduction must win over everything else.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, test } from 'vitest';
import { exitCodeAfter, exitCodeFor } from '../harness/cli/common.ts';
import type { CaseResult, Verdict } from '../harness/types.ts';

const result = (verdict: Verdict): CaseResult => ({
  scenario: 's',
  case: 'c',
  client: 'httpx',
  installed: null,
  verdict,
  evidence: { reason: verdict, client: { steps: [], facts: {}, exitCode: 0, timedOut: false }, server: {} },
  durationMs: 0,
});

describe('exit codes', () => {
  test.for([
    [['fixed', 'not-applicable'], 0],
    [['fixed', 'reproduced'], 1],
    [['error', 'reproduced', 'fixed'], 1],
    [['reproduced', 'error'], 1],
    [['error', 'fixed'], 2],
    [['not-applicable', 'error'], 2],
  ] as [Verdict[], number][])('%j exits %i', ([verdicts, code]) => {
    expect(exitCodeFor(verdicts.map(result))).toBe(code);
  });

  test('an interrupted run still exits 1 when something reproduced, else 130', () => {
    expect(exitCodeAfter({ results: [result('reproduced'), result('error')], interrupted: true })).toBe(1);
    expect(exitCodeAfter({ results: [result('error')], interrupted: true })).toBe(130);
    expect(exitCodeAfter({ results: [], interrupted: true })).toBe(130);
  });
});

// Clients are prepared while other clients' cases run, so a spec that names no release can be found after a
// reproduction. The package index here is a loopback server that answers "not found" only after 6 s (uv and
// pip both read UV_/PIP_INDEX_URL), so httpx 0.28.1's double-cancel (reproduced in about 3 s, cached
// environment) is certain to have finished first.
describe('bad input found after a reproduction', () => {
  const ROOT = join(import.meta.dirname, '..');
  async function runWithSlowIndex(extra: string[]): Promise<{ exitCode: number | undefined; stderr: string }> {
    const index = createServer((_req, res) => {
      const timer = setTimeout(() => res.writeHead(404).end(), 6000);
      res.on('close', () => clearTimeout(timer));
    });
    await new Promise<void>((resolve) => index.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(index.address() as AddressInfo).port}/simple`;
    try {
      const run = await execa(process.execPath, [join(ROOT, 'bin', 'regress.js'), 'run', '-c', 'httpx==0.28.1', '-c', 'httpx==9.9.7', '-s', 'stream-double-cancel', '--case', 'double-cancel', '--no-report', ...extra], {
        cwd: ROOT, reject: false, timeout: 120_000,
        env: { UV_INDEX_URL: url, UV_DEFAULT_INDEX: url, PIP_INDEX_URL: url, UV_NO_CACHE: '1' },
      });
      return { exitCode: run.exitCode, stderr: run.stderr };
    } finally {
      index.closeAllConnections();
      index.close();
    }
  }

  test('still exits 1, naming the bad spec and the reproduction', async () => {
    const run = await runWithSlowIndex([]);
    expect(run.stderr).toMatch(/regress: cannot install 'httpx==9\.9\.7'/);
    expect(run.stderr).toMatch(/reproduced before that: stream-double-cancel\/double-cancel × httpx==0\.28\.1/);
    expect(run.exitCode, run.stderr).toBe(1);
  }, 150_000);

  test('a reproduction accepted by --known leaves the bad input its exit 2', async () => {
    const run = await runWithSlowIndex(['--known', join(ROOT, 'examples', 'known', 'httpx.json')]);
    expect(run.stderr).toMatch(/regress: cannot install 'httpx==9\.9\.7'/);
    expect(run.stderr).not.toMatch(/reproduced before that/);
    expect(run.exitCode, run.stderr).toBe(2);
  }, 150_000);
});
