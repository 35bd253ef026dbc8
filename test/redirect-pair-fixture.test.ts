// The redirect pair (fixtures/redirect-pair.ts) proven on the wire with raw sockets: A's redirects point at
// B's origin for every redirect status, B records what a client carried across (Cookie, Authorization,
// Proxy-Authorization, the body), chains alternate between the two, TLS on B, and the whole chain through
// the forward proxy: absolute-form to A, then CONNECT and TLS to B.
import { createHash } from 'node:crypto';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type CertificateSet, createCertificateSet } from '../certs/certificate-set.ts';
import { makeClock } from '../fixtures/connection-tracker.ts';
import { startForwardProxy } from '../fixtures/forward-proxy.ts';
import { forwardProxy, proxyView, receivedAt, redirectServer, redirectView, serveFixtures } from '../harness/fixture-kit.ts';
import { REDIRECT_STATUSES, type RedirectPair, type RedirectPairOptions, startRedirectPair } from '../fixtures/redirect-pair.ts';
import { watchWire } from './support/raw-client.ts';
import { rawConnect, readResponse, sendConnect } from './support/raw-http.ts';

let certs: CertificateSet;
beforeAll(async () => {
  certs = await createCertificateSet();
});
afterAll(() => certs.dispose());

async function withPair(options: RedirectPairOptions, body: (pair: RedirectPair) => Promise<void>): Promise<void> {
  const pair = await startRedirectPair(makeClock(), options);
  try {
    await body(pair);
  } finally {
    await pair.close();
  }
}

/** One request on a fresh plain connection; the connection is closed after the answer. */
async function once(port: number, request: string): Promise<Awaited<ReturnType<typeof readResponse>>> {
  const wire = watchWire(await rawConnect(port));
  wire.socket.write(request);
  try {
    return await readResponse(wire);
  } finally {
    wire.socket.end();
  }
}

const get = (path: string, headers: string[] = []): string => `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers.map((h) => `${h}\r\n`).join('')}\r\n`;
const settle = (ms = 50): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('redirect pair', () => {
  test("A answers each redirect status with a Location on B's origin", async () => {
    await withPair({}, async ({ a, b }) => {
      expect(a.port).not.toBe(b.port);
      for (const status of REDIRECT_STATUSES) {
        const answer = await once(a.port, get(`/redirect?status=${status}&to=/landing/${status}`));
        expect(answer.status).toBe(status);
        expect(answer.headers.location).toBe(`http://127.0.0.1:${b.port}/landing/${status}`);
      }
      expect((await once(a.port, get('/redirect'))).status).toBe(302);
      expect((await once(a.port, get('/redirect?status=304'))).status).toBe(400);
      // origin=self stays on A; host=localhost rewrites the Location's host; cookie= sets one.
      const self = await once(a.port, get('/redirect?status=307&to=/here&origin=self&cookie=session=abc'));
      expect(self.headers.location).toBe(`http://127.0.0.1:${a.port}/here`);
      expect(self.headers['set-cookie']).toBe('session=abc; Path=/');
      expect((await once(a.port, get('/redirect?status=301&host=localhost'))).headers.location).toBe(`http://localhost:${b.port}/landing`);
      // A recorded what it got and what it answered.
      await settle();
      const seenA = a.observe();
      expect(seenA.kind).toBe('redirect');
      expect(seenA.received).toHaveLength(REDIRECT_STATUSES.length + 4);
      expect(seenA.received[0]!.answered).toEqual({ status: 301, location: `http://127.0.0.1:${b.port}/landing/301` });
      expect(seenA.connections).toHaveLength(REDIRECT_STATUSES.length + 4);
    });
  });

  test('B is another origin by host too when asked: localhost in its URL', async () => {
    await withPair({ b: { host: 'localhost' } }, async ({ a, b }) => {
      expect(b.url).toBe(`http://localhost:${b.port}`);
      expect((await once(a.port, get('/redirect?status=302&to=/x'))).headers.location).toBe(`http://localhost:${b.port}/x`);
    });
  });

  test('B records Cookie, Authorization, Proxy-Authorization, every header and the body', async () => {
    await withPair({}, async ({ a, b }) => {
      const body = Buffer.from('field=value&secret=s3cr3t&'.repeat(200));
      const answer = await once(
        b.port,
        `POST /landing HTTP/1.1\r\nHost: 127.0.0.1:${b.port}\r\nCookie: session=abc; other=1\r\nAuthorization: Basic dXNlcjpwYXNz\r\n` +
          `Proxy-Authorization: Basic cHJveHk6cHc=\r\nX-Custom: yes\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body.toString()}`,
      );
      const sha256 = createHash('sha256').update(body).digest('hex');
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body.toString())).toEqual({ server: 'b', method: 'POST', path: '/landing', bodyBytes: body.length, sha256 });
      const [got] = b.observe().received;
      expect(got).toMatchObject({
        method: 'POST',
        path: '/landing',
        cookie: 'session=abc; other=1',
        authorization: 'Basic dXNlcjpwYXNz',
        proxyAuthorization: 'Basic cHJveHk6cHc=',
        body: { bytes: body.length, sha256, firstBytes: body.subarray(0, 64).toString('latin1') },
        answered: { status: 200 },
      });
      expect(got!.headers).toEqual(expect.arrayContaining([['X-Custom', 'yes'], ['Cookie', 'session=abc; other=1']]));
      // A's records are its own: nothing of this request.
      expect(a.observe().received).toEqual([]);
      // A 307 with a body: A reads it whole before answering, and records it.
      const redirected = await once(a.port, `POST /redirect?status=307 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello`);
      expect(redirected.status).toBe(307);
      expect(a.observe().received[0]!.body).toMatchObject({ bytes: 5, firstBytes: 'hello' });
    });
  });

  test('a chain of N hops alternates A and B and ends in a 200 after N redirects', async () => {
    await withPair({}, async ({ a, b }) => {
      let port = a.port;
      let path = '/chain/3?status=308';
      const hops: string[] = [];
      for (let i = 0; i < 10; i += 1) {
        const answer = await once(port, get(path));
        if (answer.status === 200) break;
        expect(answer.status).toBe(308);
        const next = new URL(answer.headers.location!);
        hops.push(`${next.port}${next.pathname}`);
        port = Number(next.port);
        path = `${next.pathname}${next.search}`;
      }
      expect(hops).toEqual([`${b.port}/chain/2`, `${a.port}/chain/1`, `${b.port}/chain/0`]);
      expect(b.observe().received.map((r) => r.path)).toEqual(['/chain/2?status=308', '/chain/0?status=308']);
      expect((await once(a.port, get('/chain/1000'))).status).toBe(400);
    });
  });

  test('TLS on B: the Location is https, and B answers over TLS', async () => {
    await withPair({ b: { tls: { key: certs.trusted.key, cert: certs.trusted.cert }, host: 'localhost' } }, async ({ a, b }) => {
      const location = (await once(a.port, get('/redirect?status=302&to=/secure'))).headers.location!;
      expect(location).toBe(`https://localhost:${b.port}/secure`);
      const secure = tlsConnect({ host: '127.0.0.1', port: b.port, servername: 'localhost', ca: certs.ca.cert });
      await new Promise<void>((resolve, reject) => secure.once('secureConnect', resolve).once('error', reject));
      const wire = watchWire(secure);
      secure.write(get('/secure', ['Authorization: Bearer t']));
      expect((await readResponse(wire)).status).toBe(200);
      secure.end();
      const seen = b.observe();
      expect(seen.connections[0]!.tls?.outcome).toBe('established');
      expect(seen.received[0]).toMatchObject({ path: '/secure', authorization: 'Bearer t' });
    });
  });

  test('through the proxy: absolute-form to A, then CONNECT and TLS to B, which records what crossed the tunnel', async () => {
    const clock = makeClock();
    const pair = await startRedirectPair(clock, { b: { tls: { key: certs.trusted.key, cert: certs.trusted.cert } } });
    const proxy = await startForwardProxy(clock, { auth: { username: 'u', password: 'p' } });
    const proxyAuth = `Proxy-Authorization: Basic ${Buffer.from('u:p').toString('base64')}`;
    try {
      // 1. The client asks the proxy for A; A redirects to B (https): the Location names B's port.
      const wire = watchWire(await rawConnect(proxy.port));
      wire.socket.write(`GET ${pair.a.url}/redirect?status=302&to=/landing HTTP/1.1\r\nHost: 127.0.0.1:${pair.a.port}\r\n${proxyAuth}\r\n\r\n`);
      const redirect = await readResponse(wire);
      expect(redirect.status).toBe(302);
      const location = new URL(redirect.headers.location!);
      expect(location.protocol).toBe('https:');
      expect(Number(location.port)).toBe(pair.b.port);
      wire.socket.destroy();
      // 2. It follows with a tunnel to B and, inside, a request that (wrongly) still carries Proxy-Authorization.
      const socket = await rawConnect(proxy.port);
      expect((await sendConnect(socket, `${location.hostname}:${location.port}`, [proxyAuth])).status).toBe(200);
      const secure = tlsConnect({ socket, servername: 'localhost', ca: certs.ca.cert });
      await new Promise<void>((resolve, reject) => secure.once('secureConnect', resolve).once('error', reject));
      const inner = watchWire(secure);
      secure.write(get('/landing', [proxyAuth]));
      expect((await readResponse(inner)).status).toBe(200);
      secure.end();
      await settle();

      expect(pair.a.observe().received[0]!.proxyAuthorization).toBeUndefined();
      expect(pair.b.observe().received[0]).toMatchObject({ path: '/landing', proxyAuthorization: `Basic ${Buffer.from('u:p').toString('base64')}` });
      expect(proxy.observe().exchanges.map((e) => [e.method, e.outcome])).toEqual([
        ['GET', 'forwarded'],
        ['CONNECT', 'tunnel'],
      ]);
      socket.destroy();
    } finally {
      await Promise.all([proxy.close(), pair.close()]);
    }
  });

  test('serveFixtures (the kit): a pair and a proxy by name on one clock, each partner found by its name', async () => {
    const fixture = await serveFixtures(
      { b: redirectServer({ partner: 'a', host: 'localhost' }), a: redirectServer({ partner: 'b' }), proxy: forwardProxy() },
      (s) => ({ start: `${s.a.url}/redirect?status=303&to=/landing`, back: `${s.b.url}/chain/1`, proxy: s.proxy.url }),
    );
    try {
      const input = fixture.input as { start: string; back: string; proxy: string; regress: { markUrl: string; clientToken: string } };
      expect(input.regress.clientToken).toMatch(/^[0-9a-f]{24}$/);
      const proxyPort = Number(new URL(input.proxy).port);
      const wire = watchWire(await rawConnect(proxyPort));
      wire.socket.write(`GET ${input.start} HTTP/1.1\r\nHost: x\r\n\r\n`);
      const first = await readResponse(wire);
      expect(first.status).toBe(303);
      const landing = new URL(first.headers.location!);
      expect(landing.hostname).toBe('localhost');
      // B, started first, finds A (started after it) by name: its chain goes back to A.
      wire.socket.write(`GET ${input.back} HTTP/1.1\r\nHost: x\r\n\r\n`);
      const back = await readResponse(wire, first.end);
      expect(back.headers.location).toBe(`${new URL(input.start).origin}/chain/0`);
      wire.socket.destroy();
      await settle();
      const seen = fixture.observe();
      expect(Object.keys(seen).sort()).toEqual(['a', 'b', 'proxy']);
      expect(redirectView(seen.a)?.name).toBe('a');
      expect(receivedAt(seen.b, '/chain/')).toHaveLength(1);
      expect(proxyView(seen.proxy)?.exchanges).toHaveLength(2);
      expect(proxyView(seen.a)).toBeUndefined();
    } finally {
      await fixture.close();
    }
  });
});
