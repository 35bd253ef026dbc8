// The Node client contract (harness/node: register.mjs, resolve-hooks.mjs, regress-core.mjs; families/*/
// contract.mjs) on real releases: undici 7, axios 1 and got 14 installed by npm into a folder of the test's
// own (the client environment), run by `node --import harness/node/register.mjs PROGRAM` on Node 24 (the
// harness's) and Node 18 (the npm package `node`), against loopback servers made here. The programs live in
// test/node/, inside regress's checkout, where Node's own resolution would find regress's undici 8.
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type CertificateSet, createCertificateSet } from '../certs/certificate-set.ts';
import { nodeClientEnvironment, REGISTER_HOOKS } from '../harness/runtime/node-client.ts';

const REPO = join(import.meta.dirname, '..');
const PROGRAMS = join(import.meta.dirname, 'node');
const MARKER = 'REGRESS-RESULT ';
const TIMEOUT_MS = 1_500;

interface Step {
  name: string;
  ok: boolean;
  status?: number | null;
  error?: { type: string; kind: string; message: string; chain: string[]; code?: string };
  [field: string]: unknown;
}
interface Result {
  status: string;
  phase?: string;
  reason?: string;
  error?: Step['error'];
  steps: Step[];
  facts: Record<string, unknown>;
}

let work: string;
let clientEnv: string;
let node18: string;
let home: string;
let certs: CertificateSet;
const closers: (() => void)[] = [];
const urls: Record<string, string> = {};
const GZIP_BODY = Buffer.from('regress gzip reference\n'.repeat(1000));
let marks: string[] = [];

/** npm with the shell's environment as it is: installing needs the machine's trust settings. */
const npm = (cwd: string, ...packages: string[]) =>
  execa('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...packages], { cwd, timeout: 300_000 });

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => server.close());
  return (server.address() as net.AddressInfo).port;
}

/** The plain HTTP server: one route per behaviour a case needs. */
function app(req: http.IncomingMessage, res: http.ServerResponse): void {
  const path = req.url ?? '/';
  if (path.startsWith('/mark/')) {
    marks.push(path.slice('/mark/'.length));
    res.writeHead(204).end();
  } else if (path === '/ok') res.end(`hello ${req.headers['x-regress-client'] ?? ''}`);
  else if (path === '/reset') req.socket.destroy(); // before any response: 'socket hang up'
  else if (path === '/cut') {
    res.writeHead(200, { 'content-length': '100' });
    res.write('0123456789', () => setTimeout(() => req.socket.destroy(), 50));
  } else if (path === '/stall') {
    // Never answers; the client's own timeout ends the request.
  } else if (path === '/bad-gzip') res.writeHead(200, { 'content-encoding': 'gzip' }).end('this is not gzip data, not at all');
  else if (path === '/gzip') res.writeHead(200, { 'content-encoding': 'gzip' }).end(gzipSync(GZIP_BODY));
  else if (path === '/gzip-cut') {
    // Half the gzip stream, then the end of a close-delimited body: a body cut short that ends cleanly.
    const whole = gzipSync(GZIP_BODY);
    res.writeHead(200, { 'content-encoding': 'gzip', connection: 'close' }).end(whole.subarray(0, whole.length >> 1));
  }
  else if (path === '/loop') res.writeHead(302, { location: '/loop' }).end();
  else if (path === '/status-500') res.writeHead(500).end('no');
  else res.writeHead(404).end();
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'regress-node-contract-'));
  clientEnv = join(work, 'env');
  home = join(work, 'home');
  const nodeDir = join(work, 'node18');
  for (const dir of [clientEnv, home, nodeDir]) await execa('mkdir', ['-p', dir]);
  for (const dir of [clientEnv, nodeDir]) await writeFile(join(dir, 'package.json'), '{"private":true}\n');
  // One install for the three clients; the Node 18 release beside it (its preinstall fetches the binary).
  await Promise.all([npm(clientEnv, 'undici@7', 'axios@1', 'got@14'), npm(nodeDir, 'node@18')]);
  node18 = join(nodeDir, 'node_modules', 'node', 'bin', 'node');
  // A package in a node_modules ABOVE the client environment, where Node's upward search would find it.
  await execa('mkdir', ['-p', join(work, 'node_modules', 'outsider')]);
  await writeFile(join(work, 'node_modules', 'outsider', 'package.json'), '{"name":"outsider","version":"1.0.0","main":"index.js"}\n');
  await writeFile(join(work, 'node_modules', 'outsider', 'index.js'), 'module.exports = {};\n');
  certs = await createCertificateSet();

  const plain = http.createServer(app);
  plain.keepAliveTimeout = 30_000;
  const base = `http://127.0.0.1:${await listen(plain)}`;
  plain.on('close', () => plain.closeAllConnections());
  closers.push(() => plain.closeAllConnections());
  for (const route of ['ok', 'reset', 'cut', 'stall', 'bad-gzip', 'gzip', 'gzip-cut', 'loop', 'status-500']) urls[route] = `${base}/${route}`;
  urls.mark = `${base}/mark`;
  // TLS to a port that speaks plain HTTP.
  urls['tls-to-plain'] = `https://127.0.0.1:${new URL(base).port}/ok`;
  // A response no HTTP parser accepts.
  const garbage = net.createServer((socket) => socket.on('data', () => socket.end('HELLO THERE\r\n\r\n')));
  urls.garbage = `http://127.0.0.1:${await listen(garbage)}/`;
  // A port nothing listens on.
  const gone = net.createServer();
  const gonePort = await listen(gone);
  gone.close();
  urls.refused = `http://127.0.0.1:${gonePort}/`;
  const tlsServer = async (pair: { cert: string; key: string }) => {
    const server = https.createServer({ cert: pair.cert, key: pair.key }, app);
    const port = await listen(server);
    closers.push(() => server.closeAllConnections());
    return port;
  };
  urls.trusted = `https://localhost:${await tlsServer(certs.trusted)}/ok`;
  urls['unknown-ca'] = `https://localhost:${await tlsServer(certs.untrusted)}/ok`;
  urls['wrong-host'] = `https://localhost:${await tlsServer(certs.wrongHost)}/ok`;
}, 600_000);

afterAll(async () => {
  for (const close of closers) close();
  await certs?.dispose();
  if (work) await rm(work, { recursive: true, force: true });
});

/**
 * The environment the harness gives a Node client process (harness/runtime/node-client.ts): ONLY its own
 * variables. Nothing of the shell's (NODE_EXTRA_CA_CERTS, NODE_OPTIONS, SSL_CERT_*, *_PROXY) reaches it.
 */
const clientEnvironment = (family: string, module?: string): Record<string, string> => ({
  ...nodeClientEnvironment(family, clientEnv, { HOME: home, TMPDIR: tmpdir() }),
  ...(module ? { REGRESS_CLIENT_MODULE: module } : {}),
});

interface RunOptions {
  node?: string;
  family: string;
  program: string;
  input?: Record<string, unknown>;
  env?: Record<string, string>;
}

/** Runs a program as the harness will, and returns its one result line (asserting there is exactly one). */
async function runProgram({ node = process.execPath, family, program, input = {}, env }: RunOptions): Promise<Result & { elapsedMs: number }> {
  const started = performance.now();
  const run = await execa(node, ['--import', pathToFileURL(REGISTER_HOOKS).href, join(PROGRAMS, program)], {
    cwd: PROGRAMS,
    env: env ?? clientEnvironment(family),
    extendEnv: false,
    input: JSON.stringify({ regress: { clientToken: 'test-token', markUrl: urls.mark }, caFile: certs.ca.certPath, ...input }),
    timeout: 60_000,
    reject: false,
  });
  const lines = run.stdout.split('\n').filter((line) => line.startsWith(MARKER));
  expect(lines, `one result line\nstdout: ${run.stdout}\nstderr: ${run.stderr}`).toHaveLength(1);
  return { ...(JSON.parse(lines[0]!.slice(MARKER.length)) as Result), elapsedMs: performance.now() - started };
}

const kindsOf = (result: Result): Record<string, string> =>
  Object.fromEntries(result.steps.filter((s) => s.name !== 'configure').map((s) => [s.name, s.ok ? `ok ${s.status}` : s.error!.kind]));

/** Prints what each case raised (type [code]: message → kind), the evidence behind each expectation. */
function show(label: string, result: Result): void {
  const lines = result.steps.filter((s) => s.error || s.ok).map((s) => `  ${s.name}: ${s.ok ? `ok ${s.status}` : `${s.error!.type}${s.error!.code ? ` [${s.error!.code}]` : ''}: ${s.error!.message} -> ${s.error!.kind}${s.error!.chain.length ? ` (chain: ${s.error!.chain.join(' | ')})` : ''}`}`);
  process.stdout.write(`${label}\n${lines.join('\n')}\n`);
}

const cases = (...names: string[]) => Object.fromEntries(names.map((n) => [n, urls[n]!]));

describe('result line', () => {
  test('an ok run: steps with startedAt/elapsed, the token sent, a mark, a gzip reference, memory facts; the process exits at once with a keep-alive socket open', async () => {
    marks = [];
    const result = await runProgram({ family: 'node-http', program: 'linger.mjs', input: { url: urls.ok, gzipUrl: urls.gzip, gzipCutUrl: urls['gzip-cut'] } });
    expect(result.status).toBe('ok');
    expect(result.steps.map((s) => s.name)).toEqual(['get', 'mark-linger', 'reference', 'reference-cut']);
    for (const step of result.steps) {
      expect(typeof step.startedAt).toBe('number');
      expect(typeof step.elapsed).toBe('number');
    }
    expect(result.steps[0]).toMatchObject({ ok: true, status: 200 });
    expect(result.steps[1]).toMatchObject({ ok: true, status: 204, mark: 'linger' });
    expect(marks).toEqual(['linger']);
    expect(result.steps[2]).toMatchObject({ ok: true, status: 200, decoded_bytes: GZIP_BODY.length, complete: true });
    expect(result.steps[2]!.sha256).toBe(createHash('sha256').update(GZIP_BODY).digest('hex'));
    // Cut short: what decoded is the reference, and it says it is incomplete (regress_core.py's complete=False).
    expect(result.steps[3]).toMatchObject({ ok: true, status: 200, complete: false });
    expect(result.steps[3]!.decoded_bytes as number).toBeGreaterThan(0);
    expect(result.steps[3]!.decoded_bytes as number).toBeLessThan(GZIP_BODY.length);
    expect(result.facts).toMatchObject({ rss_source: 'VmHWM' });
    expect(result.facts.peak_rss_kib as number).toBeGreaterThanOrEqual(result.facts.start_rss_kib as number);
    // The server keeps idle connections 30 s and the agent keeps its socket: only the contract's exit ends it.
    expect(result.elapsedMs).toBeLessThan(15_000);
  });

  test('NotApplicable -> not-applicable, with the configure step recorded first', async () => {
    const result = await runProgram({ family: 'undici', program: 'not-applicable.mjs' });
    expect(result).toMatchObject({ status: 'not-applicable', reason: 'this release has no such option' });
    expect(result.steps[0]).toMatchObject({ name: 'configure', ok: false, unsupported: 'this release has no such option' });
  });

  test('an unknown case -> crashed (the program error), never not-applicable', async () => {
    const result = await runProgram({ family: 'undici', program: 'unknown-case.mjs', input: { case: 'nope' } });
    expect(result.status).toBe('crashed');
    expect(result.phase).toBeUndefined();
    expect(result.reason).toContain('unknown case "nope"');
    expect(result.facts.traceback).toContain('unknown-case.mjs');
  });

  test('a client module that is not installed -> crashed, phase import', async () => {
    const result = await runProgram({ family: 'undici', program: 'not-applicable.mjs', env: { ...clientEnvironment('undici', 'no-such-client') } });
    expect(result).toMatchObject({ status: 'crashed', phase: 'import' });
    expect(result.reason).toMatch(/import no-such-client failed/);
  });

  test('a program that fails to load (a name the release does not export) -> crashed with the reason, not a bare stack trace', async () => {
    const result = await runProgram({ family: 'undici', program: 'missing-export.mjs' });
    expect(result.status).toBe('crashed');
    // Node words it by the module's format ("does not provide an export named" / "Named export ... not found").
    expect(result.reason).toMatch(/^the program failed before run\(\): uncaught exception: SyntaxError: .*'noSuchExport'/);
  });

  test("an 'error' event nobody listens for -> crashed, with the steps recorded before it and the error's kind", async () => {
    const result = await runProgram({ family: 'node-http', program: 'stray-error.mjs', input: { refusedUrl: urls.refused } });
    expect(result).toMatchObject({ status: 'crashed', error: { kind: 'connect', code: 'ECONNREFUSED' } });
    expect(result.reason).toMatch(/^uncaught exception: Error: connect ECONNREFUSED/);
    expect(result.steps.map((s) => s.name)).toEqual(['before']);
  });
});

describe('error chains', () => {
  test("classifyCommon follows cause and AggregateError.errors (Node's happy-eyeballs connect) to the error that names the kind", async () => {
    const core = await import(pathToFileURL(join(REPO, 'harness', 'node', 'regress-core.mjs')).href);
    const refused = (address: string) => Object.assign(new Error(`connect ECONNREFUSED ${address}`), { code: 'ECONNREFUSED', syscall: 'connect' });
    const aggregate = new AggregateError([refused('::1:80'), refused('127.0.0.1:80')], '');
    const wrapped = new TypeError('fetch failed', { cause: aggregate });
    expect(core.classifyCommon(wrapped)).toBe('connect');
    expect(core.describeWith(core.classifyCommon)(null, wrapped)).toMatchObject({
      type: 'TypeError',
      kind: 'connect',
      chain: ['AggregateError: ', 'Error [ECONNREFUSED]: connect ECONNREFUSED ::1:80', 'Error [ECONNREFUSED]: connect ECONNREFUSED 127.0.0.1:80'],
    });
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    expect(core.classifyCommon(new Error('outer', { cause: new Error('middle', { cause: reset }) }))).toBe('remote-disconnected');
    expect(core.classifyCommon(new Error('nothing known'))).toBe('other');
  });
});

describe('resolution and environment', () => {
  test("bare imports come from REGRESS_CLIENT_ENV (undici 7 there), not regress's own node_modules (undici 8); axios's require('follow-redirects') from its own folder", async () => {
    const result = await runProgram({ family: 'undici', program: 'resolution.mjs' });
    expect(result.status, JSON.stringify(result)).toBe('ok');
    const undici = result.facts.undici as { path: string; version: string };
    expect(undici.path.startsWith(`${clientEnv}/node_modules/undici/`)).toBe(true);
    expect(undici.version).toMatch(/^7\./);
    expect((result.facts.axios as { path: string }).path.startsWith(`${clientEnv}/node_modules/axios/`)).toBe(true);
    expect(result.facts.followRedirects as string).toMatch(new RegExp(`^${clientEnv}/node_modules/follow-redirects/`));
    // The control: without the hook the same program finds regress's own undici, a major release apart.
    const own = await execa(process.execPath, ['--input-type=module', '-e', "console.log(import.meta.resolve('undici'))"], { cwd: PROGRAMS, reject: false });
    expect(own.stdout).toContain(`${REPO}/node_modules/undici/`);
  });

  test('a package found only above the client environment (where the upward search reaches) is not imported: crashed, phase import', async () => {
    const result = await runProgram({ family: 'undici', program: 'not-applicable.mjs', env: clientEnvironment('undici', 'outsider') });
    expect(result).toMatchObject({ status: 'crashed', phase: 'import' });
    expect(result.reason).toContain(`it is not installed in the client environment ${clientEnv}`);
  });

  test('the client process gets only its own variables: NODE_EXTRA_CA_CERTS in the test process does not reach it', async () => {
    const before = process.env.NODE_EXTRA_CA_CERTS;
    process.env.NODE_EXTRA_CA_CERTS = certs.ca.certPath;
    try {
      const result = await runProgram({ family: 'node-http', program: 'trust.mjs', input: { url: urls.trusted } });
      expect(result.steps[0]?.error?.kind).toBe('certificate');
      const env = (await runProgram({ family: 'undici', program: 'resolution.mjs' })).facts.env as string[];
      expect(env).toEqual(['HOME', 'LANG', 'PATH', 'REGRESS_CLIENT_CONTRACT', 'REGRESS_CLIENT_ENV', 'REGRESS_CLIENT_MODULE', 'REGRESS_CLIENT_PROGRAM', 'REGRESS_REPORTED', 'TMPDIR']);
      // The control: the same program with the variable handed over does trust the run's CA.
      const leaked = await runProgram({ family: 'node-http', program: 'trust.mjs', input: { url: urls.trusted }, env: { ...clientEnvironment('node-http'), NODE_EXTRA_CA_CERTS: certs.ca.certPath } });
      expect(leaked.steps[0]).toMatchObject({ ok: true, status: 200 });
    } finally {
      if (before === undefined) delete process.env.NODE_EXTRA_CA_CERTS;
      else process.env.NODE_EXTRA_CA_CERTS = before;
    }
  });
});

// What each client raises for each case, as measured (see the printed table), and the kind its contract gives.
const EXPECTED: Record<string, Record<string, string>> = {
  undici: {
    ok: 'ok 200', reset: 'remote-disconnected', cut: 'remote-disconnected', stall: 'read-timeout', refused: 'connect', garbage: 'protocol',
    'unknown-ca': 'certificate', 'wrong-host': 'hostname', 'tls-to-plain': 'tls', trusted: 'ok 200',
  },
  fetch: {
    ok: 'ok 200', reset: 'remote-disconnected', cut: 'remote-disconnected', stall: 'timeout', refused: 'connect', garbage: 'protocol',
    'unknown-ca': 'certificate', 'wrong-host': 'hostname', 'tls-to-plain': 'tls', trusted: 'ok 200', 'bad-gzip': 'decode', loop: 'too-many-redirects',
  },
  axios: {
    ok: 'ok 200', reset: 'remote-disconnected', cut: 'remote-disconnected', stall: 'timeout', refused: 'connect', garbage: 'protocol',
    'unknown-ca': 'certificate', 'wrong-host': 'hostname', 'tls-to-plain': 'tls', trusted: 'ok 200', 'bad-gzip': 'decode', loop: 'too-many-redirects', 'status-500': 'http-status',
  },
  got: {
    ok: 'ok 200', reset: 'remote-disconnected', cut: 'remote-disconnected', stall: 'read-timeout', 'stall-request': 'timeout', refused: 'connect', garbage: 'protocol',
    'unknown-ca': 'certificate', 'wrong-host': 'hostname', 'tls-to-plain': 'tls', trusted: 'ok 200', 'bad-gzip': 'decode', loop: 'too-many-redirects', 'status-500': 'http-status',
  },
  'node-http': {
    ok: 'ok 200', reset: 'remote-disconnected', cut: 'remote-disconnected', stall: 'read-timeout', refused: 'connect', garbage: 'protocol',
    'unknown-ca': 'certificate', 'wrong-host': 'hostname', 'tls-to-plain': 'tls', trusted: 'ok 200',
  },
};

/** A family's cases that are URLs of their own (got's stall-request reuses stall's). */
const casesOf = (family: string) => cases(...Object.keys(EXPECTED[family]!).filter((name) => name in urls));

describe.each(['undici', 'fetch', 'axios', 'got', 'node-http'])('Node 24: %s', (family) => {
  test('the kind of every real error', { timeout: 120_000 }, async () => {
    const result = await runProgram({ family, program: `kinds-${family}.mjs`, input: { cases: casesOf(family), timeoutMs: TIMEOUT_MS } });
    show(`${family} on ${process.version}`, result);
    expect(result.status, JSON.stringify(result)).toBe('ok');
    expect(kindsOf(result)).toEqual(EXPECTED[family]);
  });
});

describe('Node 18 (npm package node@18)', () => {
  test('undici 7 cannot be imported on Node 18 (no global File) -> crashed, phase import, never not-applicable', async () => {
    const result = await runProgram({ node: node18, family: 'undici', program: 'kinds-undici.mjs', input: { cases: {} } });
    expect(result).toMatchObject({ status: 'crashed', phase: 'import' });
    expect(result.reason).toMatch(/import undici failed: ReferenceError: File is not defined/);
  });

  test.each(['axios', 'fetch', 'node-http'])('%s: the kind of every real error', { timeout: 120_000 }, async (family) => {
    const result = await runProgram({ node: node18, family, program: `kinds-${family}.mjs`, input: { cases: casesOf(family), timeoutMs: TIMEOUT_MS } });
    show(`${family} on Node 18`, result);
    expect(result.status, JSON.stringify(result)).toBe('ok');
    expect(kindsOf(result)).toEqual(EXPECTED_NODE18[family] ?? EXPECTED[family]);
  });
});

// Node 18's fetch has no tls.setDefaultCACertificates: it cannot trust the run's CA, so wrong-host fails
// verification before the name is checked.
const EXPECTED_NODE18: Record<string, Record<string, string>> = {
  fetch: { ...EXPECTED.fetch!, 'wrong-host': 'certificate', trusted: 'certificate' },
};
