// The CLI as a user meets it: through the real entry point, in a child process.
import { execa } from 'execa';
import { describe, expect, test } from 'vitest';

const regress = (...args: string[]) =>
  execa(process.execPath, ['bin/regress.js', ...args], { reject: false, cwd: `${import.meta.dirname}/..` });

describe('regress CLI', () => {
  test('list --json names every scenario and its cases', async () => {
    const { stdout, exitCode } = await regress('list', '--json');
    expect(exitCode).toBe(0);
    const ids = JSON.parse(stdout).scenarios.map((s: { id: string }) => s.id);
    expect(ids).toEqual([
      'custom-ssl-context',
      'h2-stream-slots',
      'keepalive-expiry',
      'pool-exhaustion-after-close',
      'pool-limits',
      'pool-limits-h2',
      'slow-server-pool-timeout',
    ]);
  });

  test.for([
    [['run', '--scenario', 'no-such-scenario'], /^regress: unknown scenario 'no-such-scenario'/],
    [['run', '--client', 'httpx=>0.1'], /^regress: 'httpx=>0.1'/],
    [['run', '--client', 'httpx==0.0.999', '--scenario', 'pool-limits'], /^regress: cannot install 'httpx==0.0.999': no matching release/],
    [['run', '--case', 'nope'], /^regress: unknown case 'nope'/],
    [['run', '--concurrency', '0'], /concurrency/],
    [['run', '--no-such-flag'], /unknown option/],
    [['run', '--reports', '/dev/null/x', '--scenario', 'pool-limits'], /^regress: cannot write reports to \/dev\/null\/x/],
    [['run', '--client', 'httpx@file://host/x.whl'], /^regress: 'file:\/\/host\/x\.whl' is not a local file URL/],
    [['bisect', '--scenario', 'keepalive-expiry', '--from', 'abc'], /^regress: 'abc' is not a PEP 440 version/],
    [['bisect', '--scenario', 'slow-server-pool-timeout'], /^regress: scenario slow-server-pool-timeout has several cases: pass --case/],
    [['verify', '--scenario', 'pool-limits', '--broken', 'httpx==0.10.1'], /required option '--fixed <spec>'/],
  ] as const)('bad input %j exits 2 with one clear line', async ([args, message]) => {
    const { stderr, stdout, exitCode } = await regress(...args);
    expect(exitCode).toBe(2);
    const lines = stderr.split('\n').filter((l) => l.trim() && !l.startsWith('[env]'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(stdout).toBe('');
  });

  test('run --json prints the result schema and exits 0 when fixed', async () => {
    const { stdout, exitCode } = await regress('run', '--client', 'httpx==0.28.1', '--scenario', 'pool-limits', '--json');
    const { results } = JSON.parse(stdout);
    expect(results).toHaveLength(1);
    expect(Object.keys(results[0]).sort()).toEqual(
      ['case', 'client', 'durationMs', 'evidence', 'installed', 'scenario', 'verdict'].sort(),
    );
    expect(results[0].verdict).toBe('fixed');
    expect(exitCode).toBe(0);
  });

  test('exit 1 when a verdict is reproduced', async () => {
    const { exitCode, stdout } = await regress('run', '--client', 'httpx==0.10.1', '--scenario', 'pool-exhaustion-after-close');
    expect(stdout).toMatch(/reproduced/);
    expect(exitCode).toBe(1);
  });
});
