// The forward proxy (fixtures/forward-proxy.ts) proven on the wire with raw sockets: an absolute-form GET
// forwarded to an origin, a CONNECT tunnel carrying a TLS handshake the proxy never reads, 407 without
// credentials and the request served with them, the client's address when it binds 127.0.0.2, a
// non-loopback target refused, the byte cap, and the origin counting the proxy's relayed connection as the
// client's only when the proxy connection it carries is the client's.
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type CertificateSet, createCertificateSet } from '../certs/certificate-set.ts';
import { type Clock, CLIENT_TOKEN_HEADER, makeClock } from '../fixtures/connection-tracker.ts';
import { type ForwardProxy, type ForwardProxyOptions, startForwardProxy } from '../fixtures/forward-proxy.ts';
import { type RedirectServer, startRedirectServer } from '../fixtures/redirect-pair.ts';
import { watchWire } from './support/raw-client.ts';
import { rawConnect, readResponse, sendConnect } from './support/raw-http.ts';

let certs: CertificateSet;
beforeAll(async () => {
  certs = await createCertificateSet();
});
afterAll(() => certs.dispose());

const settle = (ms = 50): Promise<void> => new Promise((r) => setTimeout(r, ms));
const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** A proxy and a plain origin (and a TLS one) on one clock, closed whatever the test does. */
async function withProxy(
  options: ForwardProxyOptions,
  body: (servers: { proxy: ForwardProxy; origin: RedirectServer; tlsOrigin: RedirectServer; clock: Clock }) => Promise<void>,
): Promise<void> {
  const clock = makeClock();
  const origin = await startRedirectServer(clock, { name: 'origin' });
  const tlsOrigin = await startRedirectServer(clock, { name: 'tls-origin', tls: { key: certs.trusted.key, cert: certs.trusted.cert } });
  const proxy = await startForwardProxy(clock, options);
  try {
    await body({ proxy, origin, tlsOrigin, clock });
  } finally {
    await Promise.all([proxy.close(), origin.close(), tlsOrigin.close()]);
  }
}

function absoluteGet(origin: RedirectServer, path: string, extra: string[] = []): string {
  return `GET ${origin.url}${path} HTTP/1.1\r\nHost: 127.0.0.1:${origin.port}\r\nAuthorization: Bearer origin-secret\r\n${extra.map((h) => `${h}\r\n`).join('')}\r\n`;
}

/** TLS over a socket that already carries a tunnel, trusting the run's CA for `localhost`. */
async function tlsThrough(socket: import('node:net').Socket): Promise<TLSSocket> {
  const secure = tlsConnect({ socket, servername: 'localhost', ca: certs.ca.cert });
  await new Promise<void>((resolve, reject) => {
    secure.once('secureConnect', resolve);
    secure.once('error', reject);
  });
  return secure;
}

describe('forward proxy', () => {
  test('absolute-form GET: forwarded to the origin, logged with every header, hop-by-hop headers not passed on', async () => {
    await withProxy({}, async ({ proxy, origin }) => {
      const wire = watchWire(await rawConnect(proxy.port));
      wire.socket.write(absoluteGet(origin, '/x?y=1', ['Proxy-Authorization: Basic bm9ib2R5OnNlY3JldA==', 'X-Trace: 7']));
      const answer = await readResponse(wire);
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body.toString())).toMatchObject({ server: 'origin', method: 'GET', path: '/x?y=1' });
      // A second request on the same proxy connection (keep-alive).
      wire.socket.write(absoluteGet(origin, '/second'));
      expect((await readResponse(wire, answer.end)).status).toBe(200);
      wire.socket.end();
      await settle();

      const seen = proxy.observe();
      expect(seen.kind).toBe('forward-proxy');
      expect(seen.connections).toHaveLength(1);
      expect(seen.connections[0]!.requests).toBe(2);
      expect(seen.proxyConnections).toHaveLength(1);
      const [first, second] = seen.proxyConnections[0]!.exchanges;
      expect(first).toMatchObject({
        requestLine: `GET ${origin.url}/x?y=1 HTTP/1.1`,
        outcome: 'forwarded',
        status: 200,
        proxyAuthorization: 'Basic bm9ib2R5OnNlY3JldA==',
        credentialsUser: 'nobody',
        authorized: true,
        upstream: { host: '127.0.0.1', port: origin.port },
      });
      expect(first!.headers).toEqual(expect.arrayContaining([['Authorization', 'Bearer origin-secret'], ['X-Trace', '7'], ['Proxy-Authorization', 'Basic bm9ib2R5OnNlY3JldA==']]));
      expect(first!.bytesFromOrigin).toBe(answer.body.length);
      expect(second).toMatchObject({ outcome: 'forwarded', target: `${origin.url}/second` });

      // The origin got the end-to-end headers, not the proxy's own.
      const received = origin.observe().received;
      expect(received.map((r) => r.path)).toEqual(['/x?y=1', '/second']);
      expect(received[0]!.authorization).toBe('Bearer origin-secret');
      expect(received[0]!.proxyAuthorization).toBeUndefined();
      expect(received[0]!.headers).toEqual(expect.arrayContaining([['X-Trace', '7']]));
      wire.socket.destroy();
    });
  });

  test('CONNECT: 200, then a TLS handshake and a request through the tunnel, which the proxy only counts', async () => {
    await withProxy({}, async ({ proxy, tlsOrigin }) => {
      const socket = await rawConnect(proxy.port);
      const answer = await sendConnect(socket, `127.0.0.1:${tlsOrigin.port}`);
      expect(answer.status).toBe(200);
      const secure = await tlsThrough(socket);
      expect(secure.getProtocol()).toMatch(/^TLSv1\.[23]$/);
      const wire = watchWire(secure);
      secure.write(`GET /inside HTTP/1.1\r\nHost: localhost:${tlsOrigin.port}\r\nCookie: c=1\r\n\r\n`);
      const inner = await readResponse(wire);
      expect(inner.status).toBe(200);
      expect(JSON.parse(inner.body.toString())).toMatchObject({ server: 'tls-origin', path: '/inside' });
      secure.end();
      await settle(100);

      const seen = proxy.observe();
      // The proxy saw the CONNECT and nothing of what went through the tunnel.
      expect(seen.exchanges).toHaveLength(1);
      const [tunnel] = seen.exchanges;
      expect(tunnel).toMatchObject({ method: 'CONNECT', requestLine: `CONNECT 127.0.0.1:${tlsOrigin.port} HTTP/1.1`, outcome: 'tunnel', status: 200 });
      expect(tunnel!.tunnel).toMatchObject({ target: `127.0.0.1:${tlsOrigin.port}`, used: true, endedBy: 'client' });
      expect(tunnel!.tunnel!.bytesFromClient).toBeGreaterThan(200);
      expect(tunnel!.tunnel!.bytesFromOrigin).toBeGreaterThan(200);
      expect(JSON.stringify(seen)).not.toContain('/inside');
      // The TLS origin saw the handshake and the request.
      const origin = tlsOrigin.observe();
      expect(origin.connections[0]!.tls?.outcome).toBe('established');
      expect(origin.received[0]).toMatchObject({ path: '/inside', cookie: 'c=1' });
      socket.destroy();
    });
  });

  test('auth: 407 with Proxy-Authenticate without credentials or with wrong ones, served with the right ones', async () => {
    const auth = { username: 'proxy-user', password: 'proxy-pass', realm: 'regress-test' };
    await withProxy({ auth }, async ({ proxy, origin, tlsOrigin }) => {
      expect(proxy.urlWithCredentials).toBe(`http://proxy-user:proxy-pass@127.0.0.1:${proxy.port}`);
      // Absolute-form, no credentials: 407, the connection kept.
      const wire = watchWire(await rawConnect(proxy.port));
      wire.socket.write(absoluteGet(origin, '/no-creds'));
      const refused = await readResponse(wire);
      expect(refused.status).toBe(407);
      expect(refused.headers['proxy-authenticate']).toBe('Basic realm="regress-test"');
      // Wrong password, then the right one, on the same connection.
      wire.socket.write(absoluteGet(origin, '/wrong', [`Proxy-Authorization: ${basic('proxy-user', 'nope')}`]));
      const wrong = await readResponse(wire, refused.end);
      expect(wrong.status).toBe(407);
      wire.socket.write(absoluteGet(origin, '/right', [`Proxy-Authorization: ${basic('proxy-user', 'proxy-pass')}`]));
      const right = await readResponse(wire, wrong.end);
      expect(right.status).toBe(200);

      // CONNECT without credentials: 407 and the connection closed; with them: a tunnel.
      const bare = await rawConnect(proxy.port);
      const connectRefused = await sendConnect(bare, `127.0.0.1:${tlsOrigin.port}`);
      expect(connectRefused.status).toBe(407);
      expect(connectRefused.headers['proxy-authenticate']).toBe('Basic realm="regress-test"');
      const withCreds = await rawConnect(proxy.port);
      const connectOk = await sendConnect(withCreds, `127.0.0.1:${tlsOrigin.port}`, [`Proxy-Authorization: ${basic('proxy-user', 'proxy-pass')}`]);
      expect(connectOk.status).toBe(200);
      (await tlsThrough(withCreds)).destroy();
      await settle();

      const seen = proxy.observe();
      expect(seen.exchanges.map((e) => [e.method, e.outcome, e.status, e.credentialsUser ?? null])).toEqual([
        ['GET', 'auth-required', 407, null],
        ['GET', 'auth-required', 407, 'proxy-user'],
        ['GET', 'forwarded', 200, 'proxy-user'],
        ['CONNECT', 'auth-required', 407, null],
        ['CONNECT', 'tunnel', 200, 'proxy-user'],
      ]);
      expect(seen.exchanges[1]!.proxyAuthorization).toBe(basic('proxy-user', 'nope'));
      // Only the authorised request reached the origin.
      expect(origin.observe().received.map((r) => r.path)).toEqual(['/right']);
      for (const s of [wire.socket, bare, withCreds]) s.destroy();
    });
  });

  test('the client address: a client bound to 127.0.0.2 is logged as 127.0.0.2', async () => {
    await withProxy({}, async ({ proxy, origin }) => {
      const from2 = watchWire(await rawConnect(proxy.port, '127.0.0.2'));
      const from1 = watchWire(await rawConnect(proxy.port));
      from2.socket.write(absoluteGet(origin, '/from-2'));
      from1.socket.write(absoluteGet(origin, '/from-1'));
      expect((await readResponse(from2)).status).toBe(200);
      expect((await readResponse(from1)).status).toBe(200);
      const seen = proxy.observe();
      const byPath = Object.fromEntries(seen.proxyConnections.map((c) => [c.exchanges[0]!.target.replace(origin.url, ''), c]));
      expect(byPath['/from-2']).toMatchObject({ peerAddress: '127.0.0.2', peerPort: from2.socket.localPort });
      expect(byPath['/from-1']).toMatchObject({ peerAddress: '127.0.0.1', peerPort: from1.socket.localPort });
      expect(seen.connections.map((c) => c.remoteAddress).sort()).toEqual(['127.0.0.1', '127.0.0.2']);
      from1.socket.destroy();
      from2.socket.destroy();
    });
  });

  test('a target outside loopback is refused with 403 and logged, nothing connected; origin-form is a 400', async () => {
    await withProxy({}, async ({ proxy }) => {
      const wire = watchWire(await rawConnect(proxy.port));
      wire.socket.write('GET http://192.0.2.1/x HTTP/1.1\r\nHost: 192.0.2.1\r\n\r\n');
      const refused = await readResponse(wire);
      expect(refused.status).toBe(403);
      wire.socket.write('GET /origin-form HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      expect((await readResponse(wire, refused.end)).status).toBe(400);
      const tunnel = await rawConnect(proxy.port);
      expect((await sendConnect(tunnel, 'example.invalid:443')).status).toBe(403);
      const seen = proxy.observe();
      expect(seen.exchanges.map((e) => [e.outcome, e.status])).toEqual([
        ['refused-target', 403],
        ['bad-request', 400],
        ['refused-target', 403],
      ]);
      expect(seen.exchanges[0]!.reason).toMatch(/192\.0\.2\.1 is not a loopback address/);
      expect(seen.exchanges.every((e) => e.upstream === undefined)).toBe(true);
      wire.socket.destroy();
      tunnel.destroy();
    });
  });

  test('bounded: a tunnel is cut past maxBytesPerExchange', async () => {
    await withProxy({ maxBytesPerExchange: 4096 }, async ({ proxy, origin }) => {
      const socket = await rawConnect(proxy.port);
      expect((await sendConnect(socket, `localhost:${origin.port}`)).status).toBe(200);
      socket.resume();
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      socket.on('error', () => undefined);
      // A request whose body is larger than the cap: the origin reads it, the proxy cuts the tunnel.
      socket.write(`POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: 10000\r\n\r\n${'z'.repeat(10_000)}`);
      await closed;
      const [exchange] = proxy.observe().exchanges;
      expect(exchange!.upstream).toEqual({ host: '127.0.0.1', port: origin.port });
      expect(exchange!.tunnel).toMatchObject({ endedBy: 'cap' });
      expect(exchange!.tunnel!.bytesFromClient).toBeGreaterThan(4096);
    });
  });

  test('bounded: connections beyond maxConnections are dropped at accept and counted', async () => {
    await withProxy({ maxConnections: 2 }, async ({ proxy, origin }) => {
      const held = [watchWire(await rawConnect(proxy.port)), watchWire(await rawConnect(proxy.port))];
      const third = watchWire(await rawConnect(proxy.port));
      const out = await third.watch(2000);
      expect(out.stillOpen).toBe(false);
      expect(out.bytes.length).toBe(0);
      // The two held ones are still served.
      held[0]!.socket.write(absoluteGet(origin, '/held'));
      expect((await readResponse(held[0]!)).status).toBe(200);
      const seen = proxy.observe();
      expect(seen.droppedConnections).toBe(1);
      expect(seen.connections).toHaveLength(2);
      for (const wire of held) wire.socket.destroy();
    });
  });

  test("the origin counts a relayed connection as the client's only when the proxy connection is the client's", async () => {
    await withProxy({}, async ({ proxy, tlsOrigin }) => {
      // No process lookup (owner null): a connection is the client's when a request on it carries the token.
      const token = 'relay-test-token';
      proxy.admit(null, token);
      tlsOrigin.admit(null, token);
      // The client's tunnel (the token on its CONNECT), and another's; a TLS handshake through each and no
      // request inside, so the origin has no token of its own to go by.
      const mine = await rawConnect(proxy.port);
      expect((await sendConnect(mine, `127.0.0.1:${tlsOrigin.port}`, [`${CLIENT_TOKEN_HEADER}: ${token}`])).status).toBe(200);
      (await tlsThrough(mine)).end();
      const other = await rawConnect(proxy.port);
      expect((await sendConnect(other, `127.0.0.1:${tlsOrigin.port}`)).status).toBe(200);
      (await tlsThrough(other)).end();
      await settle(100);
      await Promise.all([proxy.settled(), tlsOrigin.settled()]);

      const proxySeen = proxy.observe();
      expect(proxySeen.connections).toHaveLength(1);
      expect(proxySeen.foreign).toHaveLength(1);
      const originSeen = tlsOrigin.observe();
      expect(originSeen.connections).toHaveLength(1);
      expect(originSeen.connections[0]!.tls?.outcome).toBe('established');
      expect(originSeen.foreign).toHaveLength(1);
      mine.destroy();
      other.destroy();
    });
  });
});
