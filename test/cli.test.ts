// The CLI as a user meets it: through the real entry point, in a child process.
import { execa } from 'execa';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';

const regress = (...args: string[]) =>
  execa(process.execPath, ['bin/regress.js', ...args], { reject: false, cwd: `${import.meta.dirname}/..` });

describe('regress CLI', () => {
  test('list --json names every scenario and its cases', async () => {
    const { stdout, exitCode } = await regress('list', '--json');
    expect(exitCode).toBe(0);
    const scenarios = JSON.parse(stdout).scenarios as { id: string; status: string }[];
    expect(scenarios.map((s) => s.id)).toEqual(
      expect.arrayContaining([
        'cancel-under-contention',
        'custom-ssl-context',
        'h2-stream-slots',
        'keepalive-accounting',
        'keepalive-expiry',
        'mtls-verify-false',
        'pool-exhaustion-after-close',
        'pool-limits',
        'pool-limits-h2',
        'slow-server-pool-timeout',
        'stream-double-cancel',
      ]),
    );
    for (const s of scenarios) expect(['historic', 'open-upstream']).toContain(s.status);
    expect(scenarios.find((s) => s.id === 'pool-limits')!.status).toBe('historic');
    expect(scenarios.find((s) => s.id === 'stream-double-cancel')!.status).toBe('open-upstream');
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
    [['bisect', '--scenario', 'keepalive-expiry', '--case', 'idle-gap', '--from', 'abc'], /^regress: 'abc' is not a PEP 440 version/],
    [['bisect', '--scenario', 'slow-server-pool-timeout'], /^regress: scenario slow-server-pool-timeout has several cases: pass --case/],
    [['verify', '--scenario', 'pool-limits', '--broken', 'httpx==0.10.1'], /required option '--fixed <spec>'/],
    [['run', '--client', 'httpx==0.28.1 httpx2', '--scenario', 'pool-limits'], /^regress: client spec 'httpx==0.28.1 httpx2' names httpx and httpx2: a label tests one client/],
    [['run', '--runtime', 'container', '--image', 'regress/python:3.13', '--python', '3.13'], /^regress: --python and --image exclude each other/],
    // A family the selection does not cover checks nothing: bad input in every command, never a green run.
    [['run', '--client', 'requests==2.34.2', '--scenario', 'mtls-verify-false'], /^regress: no selected scenario covers the requests family of 'requests==2\.34\.2' \(scenarios that do: /],
    [['verify', '--scenario', 'proxy-local-address', '--broken', 'httpx==0.29.0', '--fixed', 'urllib3==2.8.0'], /^regress: --broken tests httpx and --fixed tests urllib3: verify compares two releases of one client family/],
    [['sentinels', '--scenario', 'mtls-verify-false', '--line', 'requests'], /^regress: no selected scenario covers the requests family: its sentinels would check nothing/],
    [['soak', '--scenario', 'mtls-verify-false', '--client', 'requests==2.34.2', '--iterations', '8'], /^regress: scenario mtls-verify-false does not cover the requests family \(no clients\/requests\.py\): nothing to soak/],
    [['bisect', '--scenario', 'mtls-verify-false', '--package', 'urllib3'], /^regress: scenario mtls-verify-false does not cover the urllib3 family/],
    [['new', 'x-y', '--family', 'nope'], /^regress: unknown client family 'nope'/],
    // The resolver's own explanation stays in the line: a typo'd name and a version conflict read differently.
    [['run', '--client', 'httpx==0.28.1 httpcorr==1.0', '--scenario', 'pool-limits'], /^regress: cannot install 'httpx==0\.28\.1 httpcorr==1\.0': .*httpcorr (was not found|.*No matching distribution)/],
    [['run', '--client', 'httpx==0.28.1 httpcore==0.17.0', '--scenario', 'pool-limits'], /^regress: cannot install 'httpx==0\.28\.1 httpcore==0\.17\.0': .*httpx==0\.28\.1 depends on httpcore/],
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

  test('--known accepts a recorded failure, still reports it, and still fails on one it does not name', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'regress-known-'));
    const accepts = join(dir, 'accepts.json');
    const other = join(dir, 'other.json');
    await writeFile(accepts, JSON.stringify({ known: [{ scenario: 'keepalive-expiry', client: 'httpx==0.16.1', why: 'hard-coded 5 s expiry, accepted' }] }));
    await writeFile(other, JSON.stringify({ known: [{ scenario: 'pool-limits', why: 'another failure' }] }));
    try {
      const args = ['run', '--client', 'httpx==0.16.1', '--scenario', 'keepalive-expiry', '--no-report'];
      const [plain, known, unrelated] = await Promise.all([regress(...args), regress(...args, '--known', accepts), regress(...args, '--known', other)]);
      expect(plain.exitCode).toBe(1);
      expect(known.stdout).toMatch(/reproduced/);
      expect(known.stdout).toMatch(/^known: keepalive-expiry\/idle-gap × httpx==0\.16\.1 reproduced \(accepted: hard-coded 5 s expiry, accepted\)$/m);
      expect(known.exitCode).toBe(0);
      expect(unrelated.stdout).toMatch(/^NEW: keepalive-expiry\/idle-gap/m);
      expect(unrelated.exitCode).toBe(1);
      const bad = await regress('run', '--known', join(dir, 'missing.json'));
      expect(bad.exitCode).toBe(2);
      expect(bad.stderr).toMatch(/^regress: cannot read known failures from .*missing\.json: ENOENT$/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('exit 1 when a verdict is reproduced', async () => {
    const { exitCode, stdout } = await regress('run', '--client', 'httpx==0.10.1', '--scenario', 'pool-exhaustion-after-close');
    expect(stdout).toMatch(/reproduced/);
    expect(exitCode).toBe(1);
  });
});

// bin/regress.js ends with process.exit() (a loaded machine spent 0.25 s tearing the heap down otherwise):
// output still queued for a pipe whose reader is slow must not be lost. 3 releases × churn ≈ 70 KB of JSON,
// more than a pipe holds, read only after a second.
test('--json through a slow pipe arrives whole', async () => {
  const clients = ['httpx==0.26.0', 'httpx==0.27.2', 'httpx==0.28.1'].map((c) => `-c ${c}`).join(' ');
  const { stdout, exitCode } = await execa('sh', ['-c', `"${process.execPath}" bin/regress.js run ${clients} -s cancel-under-contention --json --no-report 2>/dev/null | (sleep 1; cat)`], {
    reject: false,
    cwd: `${import.meta.dirname}/..`,
  });
  expect(exitCode).toBe(0);
  expect(stdout.length).toBeGreaterThan(65_536);
  expect((JSON.parse(stdout) as { results: unknown[] }).results).toHaveLength(3);
}, 120_000);
