// `regress serve` end to end, as a user runs it: `regress serve` with a delay fault and an idle-close
// fault, driven by a Python script with a real httpx release from the environment cache; the live log
// must name the connections, the faults applied and who closed each connection; Ctrl-C (SIGINT to the
// process group, as a terminal sends it) must print the summary, exit 130 and leave no listener.
// The serving test runs bin/regress.js, the file `npx regress` executes: npm exec itself dies of a
// group SIGINT (its own behaviour, exit by signal), which would hide regress's exit code. The bad-input
// test goes through npx.
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { EnvironmentCache, findPython } from '../harness/runtime/python-env.ts';
import { parseClientSpec } from '../harness/spec.ts';

const ROOT = join(import.meta.dirname, '..');

/** The script a user would write against the printed URL: one slow request, an idle gap, another request. */
const SCRIPT = `
import json, sys, time
import httpx
base = sys.argv[1]
out = {}
with httpx.Client(timeout=30) as client:
    t = time.monotonic()
    r = client.get(base + "/slow/1")
    out["slow"] = [r.status_code, time.monotonic() - t]
    time.sleep(3.5)  # past the 2 s idle-close: the server has closed the first connection
    r = client.get(base + "/after-idle")
    out["after"] = r.status_code
print(json.dumps(out))
`;

function refused(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
  });
}

test('serve logs connections, faults and closes live, and stops on Ctrl-C with a summary and no listener', { timeout: 240_000 }, async () => {
  const env = await new EnvironmentCache(await findPython()).ensure(parseClientSpec('httpx==0.28.1'));
  const started = performance.now();
  const child = execa(process.execPath, ['bin/regress.js', 'serve', '--route', '/slow=delay:1s', '--idle-close', '2s', '--duration', '180s'], {
    cwd: ROOT,
    reject: false,
    // Its own process group, so the test can send SIGINT to the whole group as a terminal's Ctrl-C does.
    detached: true,
  });
  let stdout = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const waitFor = async (pattern: RegExp, ms: number): Promise<RegExpExecArray> => {
    for (const until = performance.now() + ms; performance.now() < until; await new Promise((r) => setTimeout(r, 50))) {
      const match = pattern.exec(stdout);
      if (match) return match;
    }
    throw new Error(`no ${pattern} in serve's output within ${ms} ms:\n${stdout}`);
  };
  try {
    const url = (await waitFor(/^regress serve: (http:\/\/127\.0\.0\.1:(\d+))/m, 60_000))[1]!;
    const port = Number(/:(\d+)$/.exec(url)![1]);
    await waitFor(/events on the fixture clock:/, 10_000);
    const startupMs = performance.now() - started;
    expect(stdout).toContain('route /slow: delay 1 s before the status line');
    expect(stdout).toContain('close (FIN) an idle keep-alive connection 2 s after its last response');
    expect(stdout).toMatch(/with httpx\.Client\(\) as client:\n\s+r = client\.get\("http:\/\/127\.0\.0\.1:\d+\/slow"\)/);

    const run = await execa(env.python, ['-c', SCRIPT, url], { reject: false, timeout: 60_000 });
    expect(run.exitCode, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as { slow: [number, number]; after: number };
    expect(result.slow[0]).toBe(200);
    expect(result.slow[1]).toBeGreaterThanOrEqual(0.99);
    expect(result.after).toBe(200);

    // The live log, as events happened: conn 1 carried the slow request, met both faults, and the server
    // closed it; the request after the idle gap came on conn 2, which the client closed on exit.
    await waitFor(/conn 2 closed by the client/, 15_000);
    const time = (re: RegExp): number => Number(re.exec(stdout)?.[1]);
    const delayAt = time(/\[\s*([\d.]+) s\] conn 1 fault: delay 1 s before the status line \(\/slow\/1\)/);
    const idleAt = time(/\[\s*([\d.]+) s\] conn 1 fault: close \(FIN\) an idle keep-alive connection 2 s/);
    expect(stdout).toMatch(/conn 1 open \(client port \d+\)/);
    expect(stdout).toMatch(/conn 1 GET \/slow\/1/);
    expect(stdout).toMatch(/conn 1 closed by the server \(its FIN at [\d.]+ s\) after 1 request\(s\)/);
    expect(stdout).toMatch(/conn 2 GET \/after-idle/);
    // The idle close lands 2 s after the response, which came 1 s after the request: 3 s after the delay began.
    expect(idleAt - delayAt).toBeGreaterThanOrEqual(2.95);
    expect(idleAt - delayAt).toBeLessThanOrEqual(4.0);

    process.kill(-child.pid!, 'SIGINT');
    const exit = await child;
    // Ctrl-C is an interrupt, as for every command: 130, after the summary and the cleanup.
    expect(exit.exitCode).toBe(130);
    expect(stdout).toMatch(/stopping \(SIGINT\)/);
    expect(stdout).toMatch(/summary at [\d.]+ s: 2 connection\(s\), peak 1 open at once, 2 request\(s\), 2 fault\(s\) applied/);
    expect(stdout).toMatch(/conn 1: [\d.]+-[\d.]+ s, closed by the server; 1 request\(s\) \/slow\/1; faults: delay, idle-close/);
    expect(stdout).toMatch(/conn 2: [\d.]+-[\d.]+ s, closed by the client \(FIN\); 1 request\(s\) \/after-idle/);
    // The server's close is dated by its FIN (the idle-close fault), not by the client's answer to it.
    const finAt = Number(/conn 1 closed by the server \(its FIN at ([\d.]+) s\)/.exec(stdout)?.[1]);
    expect(finAt - idleAt).toBeGreaterThanOrEqual(0);
    expect(finAt - idleAt).toBeLessThan(0.2);
    expect(Number(/conn 1: [\d.]+-([\d.]+) s, closed by the server/.exec(stdout)?.[1])).toBe(finAt);
    expect(stdout).toContain(`stopped: 127.0.0.1:${port} refuses connections`);
    expect(await refused(port)).toBe('ECONNREFUSED');
    console.log(`serve: startup ${(startupMs / 1000).toFixed(1)} s, total ${((performance.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    // A failed assertion must not leave the server running: kill its group if it is still there.
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

test('bad fault syntax is one line and exit 2, before anything listens', async () => {
  const { exitCode, stderr, stdout } = await execa('npx', ['regress', 'serve', '--route', '/slow=delay:10'], { cwd: ROOT, reject: false });
  expect(exitCode).toBe(2);
  const lines = stderr.split('\n').filter((l) => !l.startsWith('npm warn'));
  expect(lines).toEqual(["regress: bad duration '10': a number with a unit, e.g. 250ms, 10s, 1.5m, 2h"]);
  expect(stdout).toBe('');
});

/** Start `regress serve` in its own process group and follow its stdout. */
function startServe(args: string[]) {
  const child = execa(process.execPath, ['bin/regress.js', 'serve', ...args], { cwd: ROOT, reject: false, detached: true });
  const state = { stdout: '' };
  child.stdout!.on('data', (chunk: Buffer) => (state.stdout += chunk.toString()));
  const waitFor = async (pattern: RegExp, ms: number): Promise<RegExpExecArray> => {
    for (const until = performance.now() + ms; performance.now() < until; await new Promise((r) => setTimeout(r, 50))) {
      const match = pattern.exec(state.stdout);
      if (match) return match;
    }
    throw new Error(`no ${pattern} in serve's output within ${ms} ms:\n${state.stdout}`);
  };
  const kill = (): void => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  return { child, state, waitFor, kill };
}

/** One HTTPS GET on a raw node:tls socket: the status line, or the socket error's code. */
function tlsGet(port: number, ca: string, path: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, ca, servername: 'localhost' });
    let data = '';
    socket.once('secureConnect', () => socket.write(`GET ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n`));
    socket.on('data', (chunk: Buffer) => (data += chunk.toString()));
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    socket.once('close', () => resolve(data.split('\r\n')[0] ?? ''));
  });
}

test('serve --tls trusted --route /r=reset answers /r with a TCP reset and keeps serving; a held connection cannot stop Ctrl-C or keep the keys', { timeout: 120_000 }, async () => {
  const serve = startServe(['--tls', 'trusted', '--route', '/r=reset', '--route', '/m=reset:mid', '--duration', '100s']);
  try {
    const port = Number((await serve.waitFor(/^regress serve: https:\/\/127\.0\.0\.1:(\d+)/m, 60_000))[1]);
    const caPath = (await serve.waitFor(/^CA file to trust: (\S+)/m, 10_000))[1]!;
    await serve.waitFor(/events on the fixture clock:/, 10_000);
    const ca = await readFile(caPath, 'utf8');
    expect(await tlsGet(port, ca, '/r')).toBe('ECONNRESET');
    expect(await tlsGet(port, ca, '/m')).toBe('ECONNRESET');
    // Still serving after both resets.
    expect(await tlsGet(port, ca, '/fine')).toBe('HTTP/1.1 200 OK');
    await serve.waitFor(/fault: reset \(TCP RST\) after the headers/, 10_000);
    // Another local user holds a plain TCP connection open, not one byte sent: no TLS handshake ever starts.
    const held: Socket = connect({ host: '127.0.0.1', port });
    held.on('error', () => undefined);
    await new Promise<void>((resolve) => held.once('connect', () => resolve()));
    await new Promise((r) => setTimeout(r, 300));
    const stopAt = performance.now();
    process.kill(-serve.child.pid!, 'SIGINT');
    const exit = await serve.child;
    const stopMs = performance.now() - stopAt;
    held.destroy();
    console.log(`serve --tls with a held connection: stopped ${(stopMs / 1000).toFixed(2)} s after Ctrl-C`);
    expect(exit.exitCode, serve.state.stdout + exit.stderr).toBe(130);
    expect(stopMs).toBeLessThan(15_000);
    expect(serve.state.stdout).toMatch(/summary at [\d.]+ s: 4 connection\(s\)/);
    expect(serve.state.stdout).toMatch(/conn 1: .*closed by the server.*; 1 request\(s\) \/r; faults: reset/);
    expect(serve.state.stdout).toMatch(/still open at stop/);
    expect(serve.state.stdout).toContain(`stopped: 127.0.0.1:${port} refuses connections; certificates removed`);
    expect(existsSync(caPath)).toBe(false);
    expect(exit.stderr).toBe('');
  } finally {
    serve.kill();
  }
});

test('serve: SIGTERM with a held connection is an interrupt too (130, summary, keys removed)', { timeout: 120_000 }, async () => {
  const serve = startServe(['--tls', 'trusted', '--duration', '100s']);
  try {
    const port = Number((await serve.waitFor(/^regress serve: https:\/\/127\.0\.0\.1:(\d+)/m, 60_000))[1]);
    const caPath = (await serve.waitFor(/^CA file to trust: (\S+)/m, 10_000))[1]!;
    await serve.waitFor(/events on the fixture clock:/, 10_000);
    const held: Socket = connect({ host: '127.0.0.1', port });
    held.on('error', () => undefined);
    await new Promise<void>((resolve) => held.once('connect', () => resolve()));
    await serve.waitFor(/conn 1 open/, 10_000);
    process.kill(serve.child.pid!, 'SIGTERM');
    const exit = await serve.child;
    held.destroy();
    expect(exit.exitCode, serve.state.stdout).toBe(130);
    expect(serve.state.stdout).toMatch(/stopping \(SIGTERM\)/);
    expect(serve.state.stdout).toMatch(/conn 1: [\d.]+-still open at stop/);
    expect(existsSync(caPath)).toBe(false);
  } finally {
    serve.kill();
  }
});

test('--duration ends serve with exit 0', { timeout: 60_000 }, async () => {
  const serve = startServe(['--duration', '1s']);
  try {
    const exit = await serve.child;
    expect(exit.exitCode, serve.state.stdout + exit.stderr).toBe(0);
    expect(serve.state.stdout).toMatch(/stopping \(--duration 1 s\)/);
  } finally {
    serve.kill();
  }
});

test('a fault serve cannot apply is refused at start-up: one line, exit 2', async () => {
  const { exitCode, stderr, stdout } = await execa(process.execPath, ['bin/regress.js', 'serve', '--http2', '--route', '/r=reset'], { cwd: ROOT, reject: false });
  expect(exitCode).toBe(2);
  expect(stderr.trim().split('\n')).toEqual(['regress: --route /r: reset is an HTTP/1.1 fault; with --http2 use h2-reset']);
  expect(stdout).toBe('');
});
