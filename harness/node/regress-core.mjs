// The client-side half of the harness contract that every Node client family shares: the mirror of
// harness/python/regress_core.py. It names no client, and imports nothing but Node's own modules (a
// gzip reference read must never go through the client under test).
//
// A family's contract module (families/<id>/contract.mjs, named by REGRESS_CLIENT_CONTRACT and imported by
// programs as '@regress/contract') re-exports this module and binds `run` to its classify. `run` reads one
// JSON object (the case's input: case name, server URLs, certificate paths, timings; stdin, or the file
// REGRESS_INPUT names), imports the client under test (input clientModule, else REGRESS_CLIENT_MODULE),
// runs the scenario and prints exactly one line, `REGRESS-RESULT {json}`, with a status:
//
//   ok              the scenario ran; the harness judges the steps against what the server saw;
//   not-applicable  the release's API cannot express the scenario (the scenario threw NotApplicable);
//   crashed         the scenario failed, or (phase: import) the client under test could not be imported, or
//                   (phase: contract) the family's contract could not prepare the release: all are error
//                   verdicts, never not-applicable.
//
// Then the process exits at once, once stdout is flushed: a keep-alive socket a client left open must not
// hold the process until the harness's time limit kills it.
import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import zlib from 'node:zlib';

// node:http through require, not an ESM import: an ESM import reads every export of the builtin, and on Node
// 22 and later its lazy `WebSocket` getter loads Node's bundled undici, which installs its Agent as the global
// dispatcher every undici in the process shares (Symbol.for('undici.globalDispatcher.1')). The release under
// test would then send a request without a dispatcher through Node's undici, not its own (measured: undici
// 5.28.3's request({ maxRedirections }) failed on Node 24 with undici 7's "maxRedirections is not supported").
const http = createRequire(import.meta.url)('node:http');

export const RESULT_MARKER = 'REGRESS-RESULT ';

// The header by which the fixtures tell the client under test from other processes that connect to them:
// every request a program makes carries it, with the run's token (input regress.clientToken).
export const TOKEN_HEADER = 'x-regress-client';

/** Thrown by a scenario when the client under test cannot express it (record a `configure` step first). */
export class NotApplicable extends Error {
  constructor(message) {
    super(message);
    this.name = 'NotApplicable';
  }
}

/** Thrown by a contract when a requested setting does not exist in this release. */
export class Unsupported extends Error {
  constructor(message) {
    super(message);
    this.name = 'Unsupported';
  }
}

/**
 * A copy of headers (a plain object, or none) with the run's client token added unless it is there already.
 * The token defaults to the current run's (set by run() before the scenario starts).
 */
export function withToken(headers, token = currentToken) {
  const merged = { ...(headers ?? {}) };
  if (token && !Object.keys(merged).some((k) => k.toLowerCase() === TOKEN_HEADER)) merged[TOKEN_HEADER] = token;
  return merged;
}

let currentToken;

// ---------------------------------------------------------------------------------------------------------
// Errors: the chain behind an error, its public name, its kind.

const isErrorLike = (value) => value !== null && typeof value === 'object' && (value instanceof Error || typeof value.message === 'string');

/**
 * err and every error behind it, nearest first: `cause` (fetch's TypeError('fetch failed'), axios, got),
 * the `errors` of an AggregateError (Node's happy-eyeballs connect tries every address) and a `reason` that is
 * an error (an AbortSignal's), which is how clients wrap the error that really happened.
 */
export function links(err, limit = 12) {
  const found = [];
  const queue = [err];
  const seen = new Set();
  while (queue.length && found.length < limit) {
    const current = queue.shift();
    if (!isErrorLike(current) || seen.has(current)) continue;
    seen.add(current);
    found.push(current);
    let inner = [];
    try {
      inner = [current.cause, ...(Array.isArray(current.errors) ? current.errors : []), current.reason];
    } catch {
      // an exotic getter that throws: the links stop here
    }
    queue.push(...inner.filter(isErrorLike));
  }
  return found;
}

/** An error's public name: its class's name (AxiosError, SocketError, TimeoutError...), else its `name`. */
export function typeName(err) {
  if (!isErrorLike(err)) return typeof err;
  const ctor = err.constructor?.name;
  return ctor && ctor !== 'Object' ? ctor : String(err.name ?? 'Error');
}

const linkText = (e) => `${typeName(e)}${e.code !== undefined ? ` [${e.code}]` : ''}: ${String(e.message ?? '')}`.slice(0, 500);

/** The errors behind err (links(err) without err itself), as strings a judge can read. */
export function describeLinks(err) {
  return links(err).slice(1).map(linkText);
}

const codeOf = (e) => (typeof e?.code === 'string' ? e.code : '');

// OpenSSL's verify results for a certificate that chains to no trusted root or is not valid (Node copies
// OpenSSL's names into err.code); a certificate valid for another name is `hostname` (Node's own check).
const CERTIFICATE_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_GET_CRL',
  'CERT_SIGNATURE_FAILURE', 'CERT_REVOKED', 'CERT_UNTRUSTED', 'CERT_REJECTED', 'INVALID_CA', 'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE', 'UNABLE_TO_DECRYPT_CERT_SIGNATURE', 'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY', 'CERT_CHAIN_TOO_LONG',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD', 'ERROR_IN_CERT_NOT_AFTER_FIELD', 'ERR_TLS_CERT_SIGNATURE_ALGORITHM_UNSUPPORTED',
]);
const HOSTNAME_CODES = new Set(['ERR_TLS_CERT_ALTNAME_INVALID', 'HOSTNAME_MISMATCH', 'IP_ADDRESS_MISMATCH', 'ERR_TLS_CERT_ALTNAME_FORMAT']);
const HOSTNAME_TEXT = /hostname\/ip does not match|hostname mismatch|ip address mismatch|is not in the cert's altnames/i;

/** hostname / certificate / tls for a chain that holds a TLS failure, else null. */
export function tlsKind(chain) {
  if (chain.some((e) => HOSTNAME_CODES.has(codeOf(e)) || HOSTNAME_TEXT.test(String(e.message ?? '')))) return 'hostname';
  if (chain.some((e) => CERTIFICATE_CODES.has(codeOf(e)))) return 'certificate';
  const tls = (e) =>
    /^ERR_(SSL|TLS)_/.test(codeOf(e)) ||
    (typeof e.library === 'string' && /SSL|TLS/i.test(e.library)) ||
    (codeOf(e) === 'EPROTO' && /SSL|TLS|alert/i.test(String(e.message ?? ''))) ||
    /Client network socket disconnected before secure TLS connection was established/.test(String(e.message ?? ''));
  return chain.some(tls) ? 'tls' : null;
}

const CONNECT_TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'ERR_SOCKET_CONNECTION_TIMEOUT']);
const READ_TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ESOCKETTIMEDOUT']);
// The peer closed or reset the connection, before or during the response (Python's RemoteDisconnected,
// IncompleteRead, ConnectionResetError): Node says ECONNRESET ('socket hang up', 'aborted'), undici
// UND_ERR_SOCKET ('other side closed') or a body shorter than its Content-Length.
const DISCONNECT_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'ERR_STREAM_PREMATURE_CLOSE', 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH']);
const CONNECT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME', 'ENETUNREACH', 'EHOSTUNREACH', 'EADDRNOTAVAIL', 'ENETDOWN', 'EHOSTDOWN']);
// A response the parser rejected: llhttp's HPE_* codes (node:http and undici), HTTP/2 protocol errors.
const PROTOCOL_CODES = new Set(['ERR_HTTP2_PROTOCOL_ERROR', 'ERR_HTTP2_STREAM_ERROR', 'ERR_HTTP2_SESSION_ERROR', 'ERR_HTTP2_ERROR', 'UND_ERR_RESPONSE_STATUS_CODE', 'ERR_INVALID_CHUNKED_ENCODING', 'UND_ERR_INFO', 'ERR_HTTP_CONTENT_LENGTH_MISMATCH']);
// A client used in a state it cannot serve (closed, destroyed, after end): Python's RuntimeError.
const STATE_CODES = new Set(['ERR_INVALID_STATE', 'UND_ERR_CLOSED', 'UND_ERR_DESTROYED', 'ERR_STREAM_DESTROYED', 'ERR_STREAM_WRITE_AFTER_END', 'ERR_STREAM_ALREADY_FINISHED', 'ERR_HTTP_HEADERS_SENT', 'ERR_HTTP2_INVALID_SESSION', 'ERR_HTTP2_GOAWAY_SESSION']);

/** zlib (Z_DATA_ERROR, Z_BUF_ERROR 'unexpected end of file'), brotli and zstd decoder failures. */
const isDecodeError = (e) => /^Z_[A-Z_]+$/.test(codeOf(e)) || /^ERR_(_|BROTLI|ZSTD)/.test(codeOf(e)) || /^ZSTD_/.test(codeOf(e)) || /incorrect header check|invalid (stored )?block|invalid distance|unknown compression method|Decompression failed/i.test(String(e.message ?? ''));

const isTimeoutName = (e) => e.name === 'TimeoutError';

/**
 * The kind of an error from Node's own errors in its chain (links(err)), for any client:
 *
 * hostname, certificate, tls; connect-timeout, read-timeout, write-timeout, timeout; decode (zlib, brotli,
 * zstd); remote-disconnected (the peer closed or reset the connection); connect (refused, unresolvable,
 * unreachable); protocol (a response the parser rejected); runtime (a client used in a state it cannot
 * serve); other. A family's classify handles its own classes first and falls back to this.
 */
export function classifyCommon(err, chain = links(err)) {
  const kind = tlsKind(chain);
  if (kind) return kind;
  for (const e of chain) {
    const code = codeOf(e);
    if (CONNECT_TIMEOUT_CODES.has(code) || (code === 'ETIMEDOUT' && e.syscall === 'connect')) return 'connect-timeout';
    if (READ_TIMEOUT_CODES.has(code)) return 'read-timeout';
  }
  if (chain.some((e) => isTimeoutName(e) || codeOf(e) === 'ETIMEDOUT' || codeOf(e) === 'ERR_HTTP_REQUEST_TIMEOUT')) return 'timeout';
  if (chain.some(isDecodeError)) return 'decode';
  if (chain.some((e) => DISCONNECT_CODES.has(codeOf(e)) || /socket hang up|other side closed/i.test(String(e.message ?? '')))) return 'remote-disconnected';
  if (chain.some((e) => CONNECT_CODES.has(codeOf(e)))) return 'connect';
  if (chain.some((e) => /^HPE_/.test(codeOf(e)) || PROTOCOL_CODES.has(codeOf(e)) || typeName(e) === 'HTTPParserError')) return 'protocol';
  if (chain.some((e) => STATE_CODES.has(codeOf(e)))) return 'runtime';
  return 'other';
}

/** A describe(module, err) for a family: the error's public name, kind, message, code and the chain behind it. */
export function describeWith(classify) {
  return (_module, err) => {
    if (!isErrorLike(err)) return { type: typeof err, kind: 'other', message: String(err).slice(0, 500), chain: [] };
    const description = { type: typeName(err), kind: classify(err), message: String(err.message ?? '').slice(0, 500), chain: describeLinks(err) };
    if (codeOf(err)) description.code = codeOf(err);
    return description;
  };
}

// ---------------------------------------------------------------------------------------------------------
// The process's memory.

/**
 * The process's resident memory high-water mark in KiB, and where it was read: /proc/self/status VmHWM
 * (Linux; this process's own peak, not getrusage's maxRSS, which survives exec and could be the spawning
 * harness's), else process.resourceUsage().maxRSS (KiB).
 */
export function rssHighWater() {
  try {
    const line = readFileSync('/proc/self/status', 'ascii').split('\n').find((l) => l.startsWith('VmHWM:'));
    if (line) return [Number.parseInt(line.split(/\s+/)[1], 10), 'VmHWM'];
  } catch {
    // not Linux
  }
  try {
    return [process.resourceUsage().maxRSS, 'maxRSS'];
  } catch {
    return [null, null];
  }
}

// ---------------------------------------------------------------------------------------------------------
// What a scenario gets.

/** A response's status code, whichever property the client names it by (fetch/axios/got: status; undici, node:http: statusCode). */
export const statusOf = (response) => response?.status ?? response?.statusCode ?? null;

export class Context {
  constructor(data, module, describe = describeWith(classifyCommon)) {
    this.input = data;
    this.module = module;
    this.regress = data.regress ?? {};
    this.token = this.regress.clientToken;
    this.steps = [];
    this.facts = {};
    this.describe = describe;
    this.t0 = performance.now();
  }

  /** Seconds since the context was made (the scenario's own clock, in every step's startedAt), 4 decimals. */
  clock() {
    return Number(((performance.now() - this.t0) / 1000).toFixed(4));
  }

  fact(key, value) {
    this.facts[key] = value;
  }

  /**
   * The bytes of the CA certificate file the input names (input.caFile, or input[key]): what a program passes
   * as `ca` to its client's TLS options. Never the process's trust store: a client process gets no
   * NODE_EXTRA_CA_CERTS, on purpose.
   */
  ca(key = 'caFile') {
    const path = this.input[key];
    if (!path) throw new Error(`the case's input has no ${key}`);
    return readFileSync(path);
  }

  /** headers (a plain object) with this run's client token added. */
  withToken(headers) {
    return withToken(headers, this.token);
  }

  record(name, started, fields = {}) {
    const step = { name, startedAt: started, elapsed: Number((this.clock() - started).toFixed(4)), ...fields };
    this.steps.push(step);
    return step;
  }

  recordError(name, started, err, fields = {}) {
    return this.record(name, started, { ok: false, error: this.describe(this.module, err), ...fields });
  }

  /**
   * Run one request (fn returns a response or a promise of one); record its status or the error it threw.
   * Returns the step; the response is on it as `step.response` (not serialised), for a program that reads
   * the body. An error that carries a response (axios, got on a 4xx/5xx) records that status too.
   */
  async attempt(name, fn, fields = {}) {
    const started = this.clock();
    let response;
    try {
      response = await fn();
    } catch (err) {
      const status = statusOf(err?.response);
      return this.recordError(name, started, err, { ...(status !== null ? { status } : {}), ...fields });
    }
    const step = this.record(name, started, { ok: true, status: statusOf(response), ...fields });
    Object.defineProperty(step, 'response', { value: response, enumerable: false });
    return step;
  }

  /**
   * Note this moment on the fixture clock (e.g. "linger": every client is closed, the process lives on).
   * Sent with a plain net socket, not the client under test, and read to the end, so the mark is on the
   * server before the scenario goes on.
   */
  async mark(name) {
    const base = this.regress.markUrl;
    if (!base) throw new Error("this case's fixture offers no mark URL");
    const url = new URL(`${base}/${name}`);
    const started = this.clock();
    const reply = await new Promise((resolve, reject) => {
      const socket = net.connect({ host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port) });
      const chunks = [];
      socket.setTimeout(10_000, () => socket.destroy(new Error(`mark ${name}: no reply in 10 s`)));
      socket.on('connect', () => socket.write(`GET ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nConnection: close\r\n\r\n`));
      socket.on('data', (c) => chunks.push(c));
      socket.on('end', () => resolve(Buffer.concat(chunks)));
      socket.on('error', reject);
    });
    if (!reply.subarray(0, 12).equals(Buffer.from('HTTP/1.1 204'))) throw new Error(`mark ${JSON.stringify(name)} refused: ${JSON.stringify(reply.subarray(0, 60).toString('latin1'))}`);
    return this.record(`mark-${name}`, started, { ok: true, status: 204, mark: name });
  }

  /**
   * Record step `name`: the length and sha256 of a gzip body at url, decoded by node:http and node:zlib
   * alone, never by the client under test: the yardstick a decompression judge compares the client's decoded
   * bytes with. complete: whether the gzip stream ended properly (false for a body cut short).
   */
  async gzipReference(name, url) {
    const started = this.clock();
    try {
      const { status, length, sha256, complete } = await new Promise((resolve, reject) => {
        const request = http.get(url, { headers: this.withToken({ 'accept-encoding': 'gzip' }), agent: false, timeout: 30_000 }, (response) => {
          const inflate = zlib.createGunzip();
          const digest = createHash('sha256');
          let length = 0;
          inflate.on('data', (chunk) => {
            digest.update(chunk);
            length += chunk.length;
          });
          const done = (complete) => resolve({ status: response.statusCode, length, sha256: digest.digest('hex'), complete });
          inflate.on('error', (err) => {
            // The input ended inside the gzip stream: what decoded so far is the reference, marked incomplete.
            if (err.code === 'Z_BUF_ERROR') done(false);
            else reject(err);
          });
          inflate.on('end', () => done(true));
          response.on('data', (chunk) => inflate.write(chunk));
          // Drain every byte the input decodes to before the final flush, which fails on a stream cut short.
          response.on('end', () => inflate.flush(zlib.constants.Z_SYNC_FLUSH, () => inflate.end()));
          response.on('error', reject);
        });
        request.on('timeout', () => request.destroy(new Error('gzip reference: no data in 30 s')));
        request.on('error', reject);
      });
      return this.record(name, started, { ok: true, status, decoded_bytes: length, sha256, complete });
    } catch (err) {
      return this.recordError(name, started, err);
    }
  }

  /**
   * Run fn(resource), then close the resource (close(), else destroy()), recording (not throwing) an error
   * from closing it as step `close`: some broken releases fail on close after the behaviour under test.
   */
  async closing(resource, fn) {
    try {
      return await fn(resource);
    } finally {
      const started = this.clock();
      try {
        if (typeof resource?.close === 'function') await resource.close();
        else if (typeof resource?.destroy === 'function') await resource.destroy();
      } catch (err) {
        this.recordError('close', started, err);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// The run.

let emitted = false;

/** Print the one result line, then exit once stdout has taken it (a lingering socket must not keep us alive). */
function emit(payload) {
  if (emitted) return;
  emitted = true;
  let line;
  try {
    line = `${RESULT_MARKER}${JSON.stringify(payload, jsonSafe())}\n`;
  } catch (err) {
    line = `${RESULT_MARKER}${JSON.stringify({ status: 'crashed', reason: `the result could not be serialised: ${err}`, steps: [], facts: {} })}\n`;
  }
  process.stdout.write(line, () => process.exit(0));
}

/** JSON.stringify's replacer: BigInt as a string, cycles cut (Python's json.dumps(default=str) in spirit). */
function jsonSafe() {
  const seen = new WeakSet();
  return (_key, value) => {
    if (typeof value === 'bigint') return String(value);
    if (value !== null && typeof value === 'object') {
      if (seen.has(value)) return '[cycle]';
      seen.add(value);
    }
    return value;
  };
}

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/** The case's JSON input: stdin, or the file REGRESS_INPUT names (a container exec cannot feed stdin). */
export async function readInput() {
  const file = process.env.REGRESS_INPUT;
  const text = file ? readFileSync(file, 'utf8') : await readStdin();
  return JSON.parse(text || '{}');
}

/**
 * The client under test, imported by name through the same resolution as the program's own imports (from
 * REGRESS_CLIENT_ENV). `global:NAME` (or `globalThis.NAME`) is a global of the Node release (the fetch
 * family's module): it must exist.
 */
async function importClient(name) {
  const global = /^(?:global:|globalThis\.)(.+)$/.exec(name)?.[1];
  if (global !== undefined) {
    if (globalThis[global] === undefined) throw new Error(`this Node release (${process.version}) has no global ${global}`);
    return { [global]: globalThis[global] };
  }
  return import(name);
}

const stackOf = (err) => String(err?.stack ?? err).slice(-2000);

// What an error nothing caught means: before run() starts, the program itself failed to load (a static
// import of a name the release does not export, a syntax error); once run() starts, the scenario's crash.
let onStray = async (label, err) => {
  const payload = { status: 'crashed', reason: `the program failed before run(): ${label}: ${typeName(err)}: ${err?.message ?? err}`, error: describeWith(classifyCommon)(null, err), steps: [], facts: { traceback: stackOf(err) } };
  await drainStdin(2_000); // the harness is still writing the input: let it finish rather than meet a closed pipe
  emit(payload);
};
let guarded = false;

function guardStrayErrors() {
  if (guarded) return;
  guarded = true;
  process.on('uncaughtException', (err) => onStray('uncaught exception', err));
  process.on('unhandledRejection', (err) => onStray('unhandled rejection', err));
}

/** stdin read to its end or for at most ms, whichever is first (an exit must not leave the writer an EPIPE). */
async function drainStdin(ms) {
  let timer;
  const drained = (async () => {
    try {
      for await (const _chunk of process.stdin);
    } catch {
      // closed already
    }
  })();
  await Promise.race([drained, new Promise((resolve) => (timer = setTimeout(resolve, ms)).unref())]);
  clearTimeout(timer);
}

/**
 * Called by register.mjs before the program loads: import the client under test (REGRESS_CLIENT_MODULE,
 * through the same resolution as the program's own imports). A release that cannot be imported on this
 * Node (a syntax it lacks, a builtin it needs) would otherwise fail the program's static imports with no
 * result line: it is `crashed`, phase import, never not-applicable. Also catches errors nothing else catches.
 */
export async function preflight() {
  guardStrayErrors();
  const moduleName = process.env.REGRESS_CLIENT_MODULE;
  if (!moduleName) return; // run() reports it, or takes the input's clientModule
  try {
    await importClient(moduleName);
  } catch (err) {
    await drainStdin(2_000);
    emit({ status: 'crashed', phase: 'import', reason: `import ${moduleName} failed: ${typeName(err)}: ${err?.message ?? err}`, error: describeWith(classifyCommon)(null, err), steps: [], facts: { traceback: stackOf(err) } });
    // Nothing of the program may run after this: wait for the exit emit() schedules.
    await new Promise(() => {});
  }
}

/**
 * Run a scenario under the contract and print its one result line.
 *
 * classify(err) gives an error's kind (default classifyCommon); describe(module, err) its description
 * (default describeWith(classify)); context(data, module) makes the scenario's context (default a core
 * Context; it may be async); defaultModule is the client's import name when neither the input nor the
 * environment names one.
 */
export async function run(scenario, { classify = classifyCommon, describe, context, defaultModule } = {}) {
  describe ??= describeWith(classify);
  let data;
  try {
    data = await readInput();
  } catch (err) {
    emit({ status: 'crashed', phase: 'contract', reason: `the input could not be read: ${err}`, error: describe(null, err), steps: [], facts: { traceback: stackOf(err) } });
    return;
  }
  currentToken = data.regress?.clientToken;
  const moduleName = data.clientModule || process.env.REGRESS_CLIENT_MODULE || defaultModule;
  let module;
  try {
    if (!moduleName) throw new Error('no client module named (input clientModule, env REGRESS_CLIENT_MODULE)');
    module = await importClient(moduleName);
  } catch (err) {
    // A client that cannot be imported is broken, never "not applicable": the gate must not pass it.
    emit({ status: 'crashed', phase: 'import', reason: `import ${moduleName} failed: ${typeName(err)}: ${err?.message ?? err}`, error: describe(null, err), steps: [], facts: { traceback: stackOf(err) } });
    return;
  }
  let ctx;
  try {
    ctx = context ? await context(data, module) : new Context(data, module, describe);
  } catch (err) {
    emit({ status: 'crashed', phase: 'contract', reason: `the contract could not prepare ${moduleName}: ${typeName(err)}: ${err?.message ?? err}`, error: describe(module, err), steps: [], facts: { traceback: stackOf(err) } });
    return;
  }
  // The level the scenario starts from (after the imports): the growth is peak_rss_kib - start_rss_kib.
  const [startRss, rssSource] = rssHighWater();
  const finish = (payload) => {
    if (startRss !== null) {
      ctx.facts.start_rss_kib = startRss;
      ctx.facts.peak_rss_kib = rssHighWater()[0];
      ctx.facts.rss_source = rssSource;
    }
    emit({ ...payload, steps: ctx.steps, facts: ctx.facts });
  };
  // An error no promise carries (an 'error' event without a listener inside the client, a rejection nobody
  // awaited) would kill the process with no result line: it is the scenario's crash, with its evidence.
  guardStrayErrors();
  onStray = (label, err) => {
    ctx.facts.traceback = stackOf(err);
    finish({ status: 'crashed', reason: `${label}: ${typeName(err)}: ${err?.message ?? err}`, error: describe(module, err) });
  };
  try {
    await scenario(ctx);
  } catch (err) {
    if (err instanceof NotApplicable || err?.name === 'NotApplicable') {
      finish({ status: 'not-applicable', reason: String(err.message) });
    } else {
      ctx.facts.traceback = stackOf(err);
      finish({ status: 'crashed', reason: `${typeName(err)}: ${err?.message ?? err}`, error: describe(module, err) });
    }
    return;
  }
  finish({ status: 'ok' });
}
