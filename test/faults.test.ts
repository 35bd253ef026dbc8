// Every fault of the vocabulary, proven on the wire with a raw client (node:net, node:tls, a node:http2
// session), never through the fixture's own API or an HTTP client library: the bytes that arrived and
// when, the server's FIN ('end' with no error) or its RST (ECONNRESET), and the tracker's record of which
// connection each fault hit. Margins are wide for a loaded 2-core machine: lower bounds are tight (a fault
// can never act early), upper bounds loose.
import http2 from 'node:http2';
import { createServer, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type CertificateSet, createCertificateSet } from '../certs/certificate-set.ts';
import { makeClock, type ServerObservations } from '../fixtures/connection-tracker.ts';
import {
  closeAfterBytes,
  delay,
  delayBody,
  drip,
  failFirst,
  H2_ERROR_CODES,
  h2Reset,
  hang,
  idleClose,
  reset,
  tlsRefuse,
  tlsStall,
} from '../fixtures/faults/vocabulary.ts';
import { type H2FixtureOptions, startH2Fixture } from '../fixtures/h2-server.ts';
import { type HttpFixture, type HttpFixtureOptions, startHttpFixture } from '../fixtures/http-server.ts';
import { get, headEnd, openWire, watchWire, type WireConnection } from './support/raw-client.ts';

const settle = (ms = 100): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function withHttp(options: Partial<HttpFixtureOptions>, body: (server: HttpFixture) => Promise<void>): Promise<void> {
  const server = await startHttpFixture(makeClock(), { keepAliveTimeoutMs: 30_000, ...options });
  try {
    await body(server);
  } finally {
    await server.close();
  }
}

/** The tracker's fault records for the connection whose client port is `localPort`. */
function faultsOn(seen: ServerObservations, localPort: number): ServerObservations['faults'] {
  const connection = seen.connections.find((c) => c.remotePort === localPort);
  expect(connection, `the tracker recorded the connection from port ${localPort}`).toBeDefined();
  return seen.faults.filter((f) => f.connection === connection!.id);
}

describe('HTTP/1.1 route faults', () => {
  test('delay: no byte before the delay, then a whole 200', async () => {
    await withHttp({ faults: { routes: { '/slow': delay(1000) } } }, async (server) => {
      const wire = await openWire(server.port);
      wire.socket.write(get('/slow/a'));
      const out = await wire.bytesAtLeast(1, 10_000);
      expect(out.chunks[0]!.at).toBeGreaterThanOrEqual(990);
      expect(out.chunks[0]!.at).toBeLessThan(3000);
      await settle();
      expect(wire.outcome.bytes.toString()).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
      expect(wire.outcome.bytes.toString()).toContain('{"path":"/slow/a","fault":"delay"}');
      const faults = faultsOn(server.observe(), wire.localPort);
      expect(faults).toEqual([expect.objectContaining({ kind: 'delay', request: '/slow/a' })]);
      wire.socket.destroy();
    });
  });

  test('delay-body: the headers at once, the body only after the delay', async () => {
    await withHttp({ faults: { routes: { '/late': delayBody(1000) } } }, async (server) => {
      const wire = await openWire(server.port);
      wire.socket.write(get('/late'));
      const head = await wire.bytesAtLeast(1, 5000);
      const end = headEnd(head.bytes);
      expect(end).toBeGreaterThan(0);
      expect(head.chunks[0]!.at).toBeLessThan(700);
      // Nothing of the body yet: everything received so far is the header block.
      expect(head.bytes.length).toBe(end);
      const length = Number(/content-length: (\d+)/i.exec(head.bytes.toString())![1]);
      const full = await wire.bytesAtLeast(end + length, 10_000);
      const bodyChunk = full.chunks.find((c) => c.data.length && full.chunks.indexOf(c) > 0)!;
      expect(bodyChunk.at).toBeGreaterThanOrEqual(990);
      expect(full.bytes.subarray(end).toString()).toBe('{"path":"/late","fault":"delay-body"}');
      expect(faultsOn(server.observe(), wire.localPort)).toEqual([expect.objectContaining({ kind: 'delay-body' })]);
      wire.socket.destroy();
    });
  });

  test('drip: the body arrives in chunks spread over the duration', async () => {
    await withHttp({ faults: { routes: { '/drip': drip(5, 1200) } } }, async (server) => {
      const wire = await openWire(server.port);
      wire.socket.write(get('/drip'));
      const first = await wire.bytesAtLeast(1, 5000);
      const end = headEnd(first.bytes);
      const out = await wire.bytesAtLeast(end + 5 * 5, 10_000);
      expect(out.bytes.subarray(end).toString()).toBe('drip\n'.repeat(5));
      const bodyTimes = out.chunks.filter((c) => c.data.includes('drip\n')).map((c) => c.at);
      // Five chunks, 300 ms apart: at least four separate arrivals, the last >= 1.2 s after the first.
      expect(bodyTimes.length).toBeGreaterThanOrEqual(4);
      expect(bodyTimes.at(-1)! - bodyTimes[0]!).toBeGreaterThanOrEqual(1150);
      expect(faultsOn(server.observe(), wire.localPort)).toEqual([expect.objectContaining({ kind: 'drip' })]);
      wire.socket.destroy();
    });
  });

  test('hang: the request is read and nothing ever comes back', async () => {
    await withHttp({ faults: { routes: { '/hang': hang() } } }, async (server) => {
      const wire = await openWire(server.port);
      wire.socket.write(get('/hang'));
      const out = await wire.watch(1500);
      expect(out.bytes.length).toBe(0);
      expect(out.stillOpen).toBe(true);
      expect(out.finAt).toBeUndefined();
      const seen = server.observe();
      expect(seen.requests).toEqual([expect.objectContaining({ path: '/hang' })]);
      expect(faultsOn(seen, wire.localPort)).toEqual([expect.objectContaining({ kind: 'hang', request: '/hang' })]);
      wire.socket.destroy();
      await settle();
      expect(server.observe().requests[0]!.aborted).toBe(true);
    });
  });

  test('close-after-bytes: exactly N bytes, then a FIN (no reset)', async () => {
    await withHttp({ faults: { routes: { '/cut': closeAfterBytes(30) } } }, async (server) => {
      const wire = await openWire(server.port);
      wire.socket.write(get('/cut'));
      const out = await wire.watch(5000);
      expect(out.bytes.length).toBe(30);
      expect(out.bytes.toString()).toBe('HTTP/1.1 200 OK\r\ncontent-type: application/json'.slice(0, 30));
      expect(out.finAt).toBeDefined();
      expect(out.error).toBeUndefined();
      await settle();
      const seen = server.observe();
      expect(faultsOn(seen, wire.localPort)).toEqual([expect.objectContaining({ kind: 'close-after-bytes' })]);
      expect(seen.connections[0]!.closedBy).toBe('server');
    });
  });

  test('reset before the response: ECONNRESET and not one byte', async () => {
    await withHttp({ faults: { routes: { '/rst': reset('before-response') } } }, async (server) => {
      const wire = await openWire(server.port);
      wire.socket.write(get('/rst'));
      const out = await wire.watch(5000);
      expect(out.error).toBe('ECONNRESET');
      expect(out.bytes.length).toBe(0);
      expect(out.finAt).toBeUndefined();
      await settle();
      const seen = server.observe();
      expect(faultsOn(seen, wire.localPort)).toEqual([expect.objectContaining({ kind: 'reset', request: '/rst' })]);
      expect(seen.connections[0]!.closedBy).toBe('server');
    });
  });

  test('reset mid-response: the headers and part of the body, then ECONNRESET', async () => {
    await withHttp({ faults: { routes: { '/rst': reset('mid-response') } } }, async (server) => {
      const wire = await openWire(server.port);
      wire.socket.write(get('/rst'));
      const out = await wire.watch(5000);
      expect(out.error).toBe('ECONNRESET');
      expect(out.finAt).toBeUndefined();
      const end = headEnd(out.bytes);
      expect(end).toBeGreaterThan(0);
      const length = Number(/content-length: (\d+)/i.exec(out.bytes.toString())![1]);
      const got = out.bytes.length - end;
      expect(got).toBeGreaterThan(0);
      expect(got).toBeLessThan(length);
      // The RST came after the bytes, not with them.
      expect(out.errorAt!).toBeGreaterThanOrEqual(out.chunks.at(-1)!.at);
      await settle();
      expect(faultsOn(server.observe(), wire.localPort)).toEqual([expect.objectContaining({ kind: 'reset' })]);
    });
  });

  test('fail-first with a status: two 503s on one keep-alive connection, then a 200', async () => {
    await withHttp({ faults: { routes: { '/flaky': failFirst(2, 503) } } }, async (server) => {
      const wire = await openWire(server.port);
      const statuses: string[] = [];
      for (let i = 0; i < 3; i += 1) {
        const before = wire.outcome.bytes.length;
        wire.socket.write(get(`/flaky/${i}`));
        const out = await wire.bytesAtLeast(before + 1, 5000);
        await settle(50);
        statuses.push(/^HTTP\/1\.1 (\d+)/.exec(out.bytes.subarray(before).toString())?.[1] ?? 'none');
      }
      expect(statuses).toEqual(['503', '503', '200']);
      const faults = faultsOn(server.observe(), wire.localPort);
      expect(faults.map((f) => f.request)).toEqual(['/flaky/0', '/flaky/1']);
      wire.socket.destroy();
    });
  });

  test('fail-first counts only the client under test: another process cannot use up the failures', async () => {
    await withHttp({ faults: { routes: { '/flaky': failFirst(1, 503) } } }, async (server) => {
      server.admit(null, 'the-token');
      const status = async (headers: string): Promise<string> => {
        const wire = await openWire(server.port);
        wire.socket.write(`GET /flaky HTTP/1.1\r\nhost: 127.0.0.1\r\n${headers}\r\n`);
        const out = await wire.bytesAtLeast(12, 5000);
        wire.socket.destroy();
        return /^HTTP\/1\.1 (\d+)/.exec(out.bytes.toString())?.[1] ?? 'none';
      };
      expect(await status('')).toBe('200'); // a foreign probe: served, not counted
      expect(await status('x-regress-client: the-token\r\n')).toBe('503');
      expect(await status('x-regress-client: the-token\r\n')).toBe('200');
      await settle();
      expect(server.observe().faults).toHaveLength(1);
    });
  });

  test('fail-first with a reset: the first connection is reset, the next is served', async () => {
    await withHttp({ faults: { routes: { '/flaky': failFirst(1, 'reset') } } }, async (server) => {
      const first = await openWire(server.port);
      first.socket.write(get('/flaky'));
      const a = await first.watch(5000);
      expect(a.error).toBe('ECONNRESET');
      expect(a.bytes.length).toBe(0);
      const second = await openWire(server.port);
      second.socket.write(get('/flaky'));
      const b = await second.bytesAtLeast(12, 5000);
      expect(b.bytes.toString()).toMatch(/^HTTP\/1\.1 200/);
      const seen = server.observe();
      expect(faultsOn(seen, first.localPort)).toHaveLength(1);
      expect(faultsOn(seen, second.localPort)).toHaveLength(0);
      second.socket.destroy();
    });
  });
});

describe('idle-close (own timer, not Node keepAliveTimeout + 1 s)', () => {
  test('an idle keep-alive connection gets the server FIN N s after its last response', async () => {
    // Node's own keep-alive timeout (300 ms) would close it at ~1.3 s; idle-close must win at exactly 2 s.
    await withHttp({ keepAliveTimeoutMs: 300, faults: { connection: [idleClose(2000)] } }, async (server) => {
      const wire = await openWire(server.port);
      wire.socket.write(get('/a'));
      const first = await wire.bytesAtLeast(1, 5000);
      const lastResponseAt = first.chunks.at(-1)!.at;
      const out = await wire.watch(8000);
      expect(out.finAt).toBeDefined();
      expect(out.error).toBeUndefined();
      const idle = (out.finAt! - lastResponseAt) / 1000;
      console.log(`idle-close 2 s: FIN ${idle.toFixed(3)} s after the last response byte`);
      expect(idle).toBeGreaterThanOrEqual(2 - 0.05);
      expect(idle).toBeLessThanOrEqual(2 + 1.0);
      await settle();
      const seen = server.observe();
      expect(faultsOn(seen, wire.localPort)).toEqual([expect.objectContaining({ kind: 'idle-close' })]);
      expect(seen.connections[0]!.closedBy).toBe('server');
    });
  });

  test('a request re-arms the timer: the FIN comes N s after the last response, not the first', async () => {
    await withHttp({ faults: { connection: [idleClose(1500)] } }, async (server) => {
      const wire = await openWire(server.port);
      wire.socket.write(get('/a'));
      await wire.bytesAtLeast(1, 5000);
      await settle(1000);
      const before = wire.outcome.bytes.length;
      wire.socket.write(get('/b'));
      const second = await wire.bytesAtLeast(before + 1, 5000);
      const lastResponseAt = second.chunks.at(-1)!.at;
      const out = await wire.watch(8000);
      expect(out.finAt).toBeDefined();
      const idle = (out.finAt! - lastResponseAt) / 1000;
      console.log(`idle-close 1.5 s after a second request: FIN ${idle.toFixed(3)} s after the last response byte`);
      expect(idle).toBeGreaterThanOrEqual(1.5 - 0.05);
      expect(idle).toBeLessThanOrEqual(1.5 + 1.0);
      expect(server.observe().connections[0]!.requests).toBe(2);
    });
  });
});

describe('TLS handshake faults', () => {
  let certs: CertificateSet;
  let clientHello: Buffer;
  beforeAll(async () => {
    certs = await createCertificateSet();
    // A real ClientHello, captured once from node:tls against a plain TCP listener, replayed by raw sockets.
    clientHello = await new Promise<Buffer>((resolve, reject) => {
      const capture = createServer((socket: Socket) => {
        socket.once('data', (data: Buffer) => {
          resolve(data);
          socket.destroy();
          capture.close();
        });
      });
      capture.listen(0, '127.0.0.1', () => {
        const port = (capture.address() as { port: number }).port;
        const client = tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false });
        client.on('error', () => undefined);
      });
      capture.on('error', reject);
    });
  });
  afterAll(async () => certs?.dispose());

  const tls = (): HttpFixtureOptions['tls'] => ({ key: certs.trusted.key, cert: certs.trusted.cert });

  test('refuse (rst): the ClientHello is answered by an RST', async () => {
    expect(clientHello[0]).toBe(0x16); // a TLS handshake record
    await withHttp({ tls: tls(), faults: { connection: [tlsRefuse('rst')] } }, async (server) => {
      const wire = await openWire(server.port);
      wire.socket.write(clientHello);
      const out = await wire.watch(5000);
      expect(out.error).toBe('ECONNRESET');
      expect(out.bytes.length).toBe(0);
      await settle();
      const seen = server.observe();
      expect(faultsOn(seen, wire.localPort)).toEqual([expect.objectContaining({ kind: 'tls-refuse' })]);
      expect(seen.connections[0]!.tls).toEqual(expect.objectContaining({ outcome: 'failed', error: expect.stringContaining('fault') }));
    });
  });

  test('refuse (fin): the ClientHello is answered by a FIN and no ServerHello', async () => {
    await withHttp({ tls: tls(), faults: { connection: [tlsRefuse('fin')] } }, async (server) => {
      const wire = await openWire(server.port);
      wire.socket.write(clientHello);
      const out = await wire.watch(5000);
      expect(out.finAt).toBeDefined();
      expect(out.error).toBeUndefined();
      expect(out.bytes.length).toBe(0);
      expect(faultsOn(server.observe(), wire.localPort)).toHaveLength(1);
    });
  });

  test('refuse: a node:tls client fails the handshake', async () => {
    await withHttp({ tls: tls(), faults: { connection: [tlsRefuse('rst')] } }, async (server) => {
      const error = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
        const client = tlsConnect({ host: '127.0.0.1', port: server.port, ca: certs.ca.cert, servername: 'localhost' });
        client.once('secureConnect', () => resolve(null));
        client.once('error', resolve);
      });
      expect(error?.code).toBe('ECONNRESET');
    });
  });

  test('stall: TCP accepted, the ClientHello never answered', async () => {
    await withHttp({ tls: tls(), faults: { connection: [tlsStall()] } }, async (server) => {
      const wire = await openWire(server.port);
      wire.socket.write(clientHello);
      const out = await wire.watch(1500);
      expect(out.stillOpen).toBe(true);
      expect(out.bytes.length).toBe(0);
      expect(out.finAt).toBeUndefined();
      const seen = server.observe();
      expect(faultsOn(seen, wire.localPort)).toEqual([expect.objectContaining({ kind: 'tls-stall' })]);
      expect(seen.connections[0]!.tls?.outcome).toBe('failed');
      wire.socket.destroy();
    });
  });

  test('idle-close over TLS: the server closes the idle HTTPS connection N s after its last response', async () => {
    await withHttp({ tls: tls(), keepAliveTimeoutMs: 300, faults: { connection: [idleClose(1500)] } }, async (server) => {
      const client = tlsConnect({ host: '127.0.0.1', port: server.port, ca: certs.ca.cert, servername: 'localhost' });
      const started = performance.now();
      let lastDataAt = 0;
      let endAt: number | undefined;
      let error: string | undefined;
      await new Promise<void>((resolve) => client.once('secureConnect', () => resolve()));
      const localPort = client.localPort ?? 0;
      client.on('data', () => (lastDataAt = performance.now() - started));
      client.on('end', () => (endAt = performance.now() - started));
      client.on('error', (e: NodeJS.ErrnoException) => (error = e.code));
      const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
      client.write(get('/a'));
      await Promise.race([closed, settle(8000)]);
      expect(error).toBeUndefined();
      expect(endAt).toBeDefined();
      const idle = (endAt! - lastDataAt) / 1000;
      console.log(`idle-close 1.5 s over TLS: FIN ${idle.toFixed(3)} s after the last response byte`);
      // The server's timer starts when the response is handed to the kernel; the client sees the bytes
      // only after decrypting them in this same (loaded) process, so its "last byte" can lag a little.
      expect(idle).toBeGreaterThanOrEqual(1.5 - 0.1);
      expect(idle).toBeLessThanOrEqual(1.5 + 1.0);
      const seen = server.observe();
      expect(faultsOn(seen, localPort)).toEqual([expect.objectContaining({ kind: 'idle-close' })]);
      expect(seen.connections[0]!.requests).toBe(1);
      client.destroy();
    });
  });

  test('no fault: the same server options without faults complete a handshake (the control)', async () => {
    await withHttp({ tls: tls() }, async (server) => {
      const ok = await new Promise<boolean>((resolve) => {
        const client = tlsConnect({ host: '127.0.0.1', port: server.port, ca: certs.ca.cert, servername: 'localhost' });
        client.once('secureConnect', () => {
          client.destroy();
          resolve(true);
        });
        client.once('error', () => resolve(false));
      });
      expect(ok).toBe(true);
    });
  });
});

describe('HTTP/2 stream faults', () => {
  let certs: CertificateSet;
  beforeAll(async () => {
    certs = await createCertificateSet();
  });
  afterAll(async () => certs?.dispose());

  async function withH2(faults: H2FixtureOptions['faults'], body: (url: string, observe: () => ReturnType<Awaited<ReturnType<typeof startH2Fixture>>['observe']>) => Promise<void>): Promise<void> {
    const server = await startH2Fixture(makeClock(), { tls: { key: certs.trusted.key, cert: certs.trusted.cert }, maxConcurrentStreams: 10, ...(faults ? { faults } : {}) });
    try {
      await body(server.url, () => server.observe());
    } finally {
      await server.close();
    }
  }

  /** One stream on a node:http2 client session: its response headers (if any), RST code and timings. */
  function stream(url: string, path: string): Promise<{ status?: number; rstCode: number; headersAt?: number; closedAt: number; body: string }> {
    return new Promise((resolve, reject) => {
      const session = http2.connect(url, { ca: certs.ca.cert, servername: 'localhost' });
      session.on('error', reject);
      const started = performance.now();
      const req = session.request({ ':path': path });
      let status: number | undefined;
      let headersAt: number | undefined;
      let body = '';
      req.on('response', (headers) => {
        status = Number(headers[':status']);
        headersAt = performance.now() - started;
      });
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('error', () => undefined);
      req.on('close', () => {
        const out = { rstCode: req.rstCode ?? 0, closedAt: performance.now() - started, body, ...(status !== undefined ? { status } : {}), ...(headersAt !== undefined ? { headersAt } : {}) };
        session.close();
        resolve(out);
      });
      req.end();
    });
  }

  test('h2-reset before headers: RST_STREAM with the code, no HEADERS', async () => {
    await withH2({ routes: { '/r': h2Reset(H2_ERROR_CODES.CANCEL!, 'before-headers') } }, async (url, observe) => {
      const out = await stream(url, '/r');
      expect(out.status).toBeUndefined();
      expect(out.rstCode).toBe(H2_ERROR_CODES.CANCEL);
      await settle();
      const seen = observe();
      expect(seen.streams[0]).toEqual(expect.objectContaining({ outcome: 'reset-by-server', rstCode: 8 }));
      expect(seen.faults).toEqual([expect.objectContaining({ kind: 'h2-reset', request: '/r', connection: seen.streams[0]!.connection })]);
    });
  });

  test('h2-reset after headers: a 200 HEADERS frame, then RST_STREAM with the code', async () => {
    await withH2({ routes: { '/r': h2Reset(H2_ERROR_CODES.ENHANCE_YOUR_CALM!, 'after-headers') } }, async (url, observe) => {
      const out = await stream(url, '/r');
      expect(out.status).toBe(200);
      expect(out.rstCode).toBe(H2_ERROR_CODES.ENHANCE_YOUR_CALM);
      expect(out.body).toBe('');
      await settle();
      expect(observe().streams[0]).toEqual(expect.objectContaining({ outcome: 'reset-by-server', rstName: 'ENHANCE_YOUR_CALM' }));
    });
  });

  test('h2 delay-body and drip: HEADERS at once, DATA later or spread over the duration', async () => {
    await withH2({ routes: { '/late': delayBody(800), '/drip': drip(4, 900) } }, async (url, observe) => {
      const late = await stream(url, '/late');
      expect(late.status).toBe(200);
      expect(late.headersAt!).toBeLessThan(600);
      expect(late.closedAt).toBeGreaterThanOrEqual(790);
      expect(late.body).toBe('{"path":"/late","fault":"delay-body"}');
      const dripped = await stream(url, '/drip');
      expect(dripped.body).toBe('drip\n'.repeat(4));
      expect(dripped.closedAt - dripped.headersAt!).toBeGreaterThanOrEqual(850);
      await settle();
      expect(observe().faults.map((f) => f.kind)).toEqual(['delay-body', 'drip']);
    });
  });

  test('h2 delay and fail-first: HEADERS only after the delay; the first stream reset, the second served', async () => {
    await withH2({ routes: { '/slow': delay(800), '/flaky': failFirst(1, 'reset') } }, async (url, observe) => {
      const slow = await stream(url, '/slow');
      expect(slow.status).toBe(200);
      expect(slow.headersAt!).toBeGreaterThanOrEqual(790);
      const a = await stream(url, '/flaky');
      const b = await stream(url, '/flaky');
      expect(a.status).toBeUndefined();
      expect(a.rstCode).toBe(H2_ERROR_CODES.INTERNAL_ERROR);
      expect(b.status).toBe(200);
      await settle();
      expect(observe().faults.map((f) => f.kind)).toEqual(['delay', 'fail-first']);
    });
  });
});

describe('fault plans a server cannot apply', () => {
  test('an HTTP/2-only fault on an HTTP/1.1 server is refused at setup', async () => {
    await expect(startHttpFixture(makeClock(), { keepAliveTimeoutMs: 1000, faults: { routes: { '/x': h2Reset(8) } } })).rejects.toThrow(/not available on HTTP\/1\.1/);
    await expect(startHttpFixture(makeClock(), { keepAliveTimeoutMs: 1000, faults: { connection: [tlsStall()] } })).rejects.toThrow(/needs a TLS server/);
  });
});

// Every HTTP/1.1 route fault again over TLS, on the wire of a node:tls client: what the vocabulary allows
// over TLS, `serve --tls` must apply (a reset on a TLS socket used to throw ERR_INVALID_HANDLE_TYPE and
// kill `regress serve`). A FIN is the TLS socket's 'end'; an RST is ECONNRESET on it.
describe('HTTP/1.1 route faults over TLS', () => {
  let certs: CertificateSet;
  beforeAll(async () => {
    certs = await createCertificateSet();
  });
  afterAll(async () => certs?.dispose());

  async function withHttps(faults: HttpFixtureOptions['faults'], body: (server: HttpFixture, open: () => Promise<WireConnection>) => Promise<void>): Promise<void> {
    await withHttp({ tls: { key: certs.trusted.key, cert: certs.trusted.cert }, ...(faults ? { faults } : {}) }, async (server) => {
      const open = async (): Promise<WireConnection> => {
        const socket = tlsConnect({ host: '127.0.0.1', port: server.port, ca: certs.ca.cert, servername: 'localhost' });
        await new Promise<void>((resolve, reject) => {
          socket.once('secureConnect', resolve);
          socket.once('error', reject);
        });
        return watchWire(socket);
      };
      await body(server, open);
    });
  }

  test('delay over TLS: no byte before the delay, then a whole 200', async () => {
    await withHttps({ routes: { '/slow': delay(800) } }, async (server, open) => {
      const wire = await open();
      wire.socket.write(get('/slow/a'));
      const out = await wire.bytesAtLeast(1, 10_000);
      expect(out.chunks[0]!.at).toBeGreaterThanOrEqual(790);
      await settle();
      expect(wire.outcome.bytes.toString()).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*\{"path":"\/slow\/a","fault":"delay"\}$/);
      expect(faultsOn(server.observe(), wire.localPort)).toEqual([expect.objectContaining({ kind: 'delay' })]);
      wire.socket.destroy();
    });
  });

  test('delay-body over TLS: the headers at once, the body after the delay', async () => {
    await withHttps({ routes: { '/late': delayBody(800) } }, async (server, open) => {
      const wire = await open();
      wire.socket.write(get('/late'));
      const head = await wire.bytesAtLeast(1, 5000);
      const end = headEnd(head.bytes);
      expect(end).toBe(head.bytes.length);
      expect(head.chunks[0]!.at).toBeLessThan(700);
      const full = await wire.bytesAtLeast(end + 1, 10_000);
      expect(full.chunks.at(-1)!.at).toBeGreaterThanOrEqual(790);
      expect(full.bytes.subarray(end).toString()).toBe('{"path":"/late","fault":"delay-body"}');
      expect(faultsOn(server.observe(), wire.localPort)).toEqual([expect.objectContaining({ kind: 'delay-body' })]);
      wire.socket.destroy();
    });
  });

  test('drip over TLS: the body in chunks over the duration', async () => {
    await withHttps({ routes: { '/drip': drip(4, 900) } }, async (server, open) => {
      const wire = await open();
      wire.socket.write(get('/drip'));
      const first = await wire.bytesAtLeast(1, 5000);
      const end = headEnd(first.bytes);
      const out = await wire.bytesAtLeast(end + 4 * 5, 10_000);
      expect(out.bytes.subarray(end).toString()).toBe('drip\n'.repeat(4));
      const bodyTimes = out.chunks.filter((c) => c.data.includes('drip\n')).map((c) => c.at);
      expect(bodyTimes.at(-1)! - bodyTimes[0]!).toBeGreaterThanOrEqual(850);
      expect(faultsOn(server.observe(), wire.localPort)).toEqual([expect.objectContaining({ kind: 'drip' })]);
      wire.socket.destroy();
    });
  });

  test('hang over TLS: nothing comes back, the connection stays open', async () => {
    await withHttps({ routes: { '/hang': hang() } }, async (server, open) => {
      const wire = await open();
      wire.socket.write(get('/hang'));
      const out = await wire.watch(1200);
      expect(out.bytes.length).toBe(0);
      expect(out.stillOpen).toBe(true);
      expect(faultsOn(server.observe(), wire.localPort)).toEqual([expect.objectContaining({ kind: 'hang' })]);
      wire.socket.destroy();
    });
  });

  test('close-after-bytes over TLS: exactly N bytes of the response, then the end (no reset)', async () => {
    await withHttps({ routes: { '/cut': closeAfterBytes(30) } }, async (server, open) => {
      const wire = await open();
      wire.socket.write(get('/cut'));
      const out = await wire.watch(5000);
      expect(out.bytes.toString()).toBe('HTTP/1.1 200 OK\r\ncontent-type: application/json'.slice(0, 30));
      expect(out.finAt).toBeDefined();
      expect(out.error).toBeUndefined();
      await settle();
      expect(faultsOn(server.observe(), wire.localPort)).toEqual([expect.objectContaining({ kind: 'close-after-bytes' })]);
    });
  });

  test('reset over TLS: a TCP RST before any byte, and the server keeps serving', async () => {
    await withHttps({ routes: { '/rst': reset('before-response') } }, async (server, open) => {
      const wire = await open();
      wire.socket.write(get('/rst'));
      const out = await wire.watch(5000);
      expect(out.error).toBe('ECONNRESET');
      expect(out.bytes.length).toBe(0);
      expect(out.finAt).toBeUndefined();
      const next = await open();
      next.socket.write(get('/fine'));
      expect((await next.bytesAtLeast(12, 5000)).bytes.toString()).toMatch(/^HTTP\/1\.1 200/);
      next.socket.destroy();
      await settle();
      expect(faultsOn(server.observe(), wire.localPort)).toEqual([expect.objectContaining({ kind: 'reset', request: '/rst' })]);
      expect(server.observe().unreliable).toBeUndefined();
    });
  });

  test('reset mid-response over TLS: the headers and part of the body, then a TCP RST', async () => {
    await withHttps({ routes: { '/rst': reset('mid-response') } }, async (server, open) => {
      const wire = await open();
      wire.socket.write(get('/rst'));
      const out = await wire.watch(5000);
      expect(out.error).toBe('ECONNRESET');
      expect(out.finAt).toBeUndefined();
      const end = headEnd(out.bytes);
      expect(end).toBeGreaterThan(0);
      const length = Number(/content-length: (\d+)/i.exec(out.bytes.toString())![1]);
      expect(out.bytes.length - end).toBeGreaterThan(0);
      expect(out.bytes.length - end).toBeLessThan(length);
      await settle();
      expect(faultsOn(server.observe(), wire.localPort)).toEqual([expect.objectContaining({ kind: 'reset' })]);
    });
  });

  test('fail-first over TLS: a 503 then a 200; with reset, an RST then a 200', async () => {
    await withHttps({ routes: { '/flaky': failFirst(1, 503), '/gone': failFirst(1, 'reset') } }, async (server, open) => {
      const wire = await open();
      wire.socket.write(get('/flaky'));
      expect((await wire.bytesAtLeast(12, 5000)).bytes.toString()).toMatch(/^HTTP\/1\.1 503/);
      await settle(50);
      const before = wire.outcome.bytes.length;
      wire.socket.write(get('/flaky'));
      expect((await wire.bytesAtLeast(before + 12, 5000)).bytes.subarray(before).toString()).toMatch(/^HTTP\/1\.1 200/);
      wire.socket.destroy();
      const first = await open();
      first.socket.write(get('/gone'));
      const a = await first.watch(5000);
      expect(a.error).toBe('ECONNRESET');
      expect(a.bytes.length).toBe(0);
      const second = await open();
      second.socket.write(get('/gone'));
      expect((await second.bytesAtLeast(12, 5000)).bytes.toString()).toMatch(/^HTTP\/1\.1 200/);
      second.socket.destroy();
      await settle();
      expect(server.observe().faults.map((f) => f.request)).toEqual(['/flaky', '/gone']);
    });
  });
});
