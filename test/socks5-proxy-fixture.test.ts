// The SOCKS5 proxy (fixtures/socks5-proxy.ts) proven on the wire with raw sockets: RFC 1928's greeting,
// request and reply bytes, a CONNECT by name carrying a TLS handshake the proxy never reads, RFC 1929
// username/password refused and accepted, no acceptable method, targets outside loopback and commands other
// than CONNECT refused with their reply codes, an unreachable origin, the client's address when it binds
// 127.0.0.2, the byte cap, the connection cap, a stalled handshake cut, and the origin counting the proxy's
// relayed connection as the client's.
import { spawn } from 'node:child_process';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type CertificateSet, createCertificateSet } from '../certs/certificate-set.ts';
import { makeClock } from '../fixtures/connection-tracker.ts';
import { type RedirectServer, startRedirectServer } from '../fixtures/redirect-pair.ts';
import { processOwner } from '../fixtures/socket-owner.ts';
import { SOCKS5_REPLY, type Socks5Proxy, type Socks5ProxyOptions, startSocks5Proxy } from '../fixtures/socks5-proxy.ts';
import { watchWire } from './support/raw-client.ts';
import { rawConnect, readResponse } from './support/raw-http.ts';

let certs: CertificateSet;
beforeAll(async () => {
  certs = await createCertificateSet();
});
afterAll(() => certs.dispose());

const settle = (ms = 50): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function withProxy(options: Socks5ProxyOptions, body: (s: { proxy: Socks5Proxy; origin: RedirectServer; tlsOrigin: RedirectServer }) => Promise<void>): Promise<void> {
  const clock = makeClock();
  const origin = await startRedirectServer(clock, { name: 'origin' });
  const tlsOrigin = await startRedirectServer(clock, { name: 'tls-origin', tls: { key: certs.trusted.key, cert: certs.trusted.cert } });
  const proxy = await startSocks5Proxy(clock, options);
  try {
    await body({ proxy, origin, tlsOrigin });
  } finally {
    await Promise.all([proxy.close(), origin.close(), tlsOrigin.close()]);
  }
}

/** Reads exact byte counts off a raw socket (the proxy's answers arrive in whatever chunks TCP gives). */
function reader(socket: Socket): { read(n: number, ms?: number): Promise<Buffer>; closed: Promise<void>; detach(): void } {
  let buffer = Buffer.alloc(0);
  let wake = (): void => undefined;
  let ended = false;
  const onData = (chunk: Buffer): void => {
    buffer = Buffer.concat([buffer, chunk]);
    wake();
  };
  socket.on('data', onData);
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) =>
    socket.once('close', () => {
      ended = true;
      wake();
      resolve();
    }),
  );
  return {
    closed,
    detach: () => socket.off('data', onData),
    read: (n, ms = 5000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`wanted ${n} bytes, have ${buffer.length} after ${ms} ms`)), ms);
        const check = (): void => {
          if (buffer.length >= n) {
            clearTimeout(timer);
            const out = buffer.subarray(0, n);
            buffer = buffer.subarray(n);
            resolve(out);
          } else if (ended) {
            clearTimeout(timer);
            reject(new Error(`closed after ${buffer.length} of ${n} bytes`));
          }
        };
        wake = check;
        check();
      }),
  };
}

const port2 = (port: number): number[] => [port >> 8, port & 0xff];
const domainRequest = (host: string, port: number, command = 0x01): Buffer => Buffer.from([0x05, command, 0x00, 0x03, host.length, ...Buffer.from(host), ...port2(port)]);
const ipv4Request = (ip: string, port: number, command = 0x01): Buffer => Buffer.from([0x05, command, 0x00, 0x01, ...ip.split('.').map(Number), ...port2(port)]);
const credentials = (user: string, password: string): Buffer => Buffer.from([0x01, user.length, ...Buffer.from(user), password.length, ...Buffer.from(password)]);

/** TLS over a socket that already carries a tunnel, trusting the run's CA for `localhost`. */
async function tlsThrough(socket: Socket): Promise<TLSSocket> {
  const secure = tlsConnect({ socket, servername: 'localhost', ca: certs.ca.cert });
  await new Promise<void>((resolve, reject) => {
    secure.once('secureConnect', resolve);
    secure.once('error', reject);
  });
  return secure;
}

describe('SOCKS5 proxy', () => {
  test('no-auth CONNECT by name: method 0x00, reply 0x00 with the bound address, a TLS request through the tunnel the proxy only counts', async () => {
    await withProxy({}, async ({ proxy, tlsOrigin }) => {
      expect(proxy.url).toBe(`socks5://127.0.0.1:${proxy.port}`);
      expect(proxy.urlWithCredentials).toBe(proxy.url);
      const socket = await rawConnect(proxy.port);
      const localPort = socket.localPort;
      const wire = reader(socket);
      socket.write(Buffer.from([0x05, 0x02, 0x00, 0x02]));
      expect([...(await wire.read(2))]).toEqual([0x05, 0x00]);
      socket.write(domainRequest('localhost', tlsOrigin.port));
      const answer = await wire.read(10);
      expect([...answer.subarray(0, 8)]).toEqual([0x05, SOCKS5_REPLY.succeeded, 0x00, 0x01, 127, 0, 0, 1]);
      expect(answer.readUInt16BE(8)).toBeGreaterThan(0);
      wire.detach();
      const secure = await tlsThrough(socket);
      const inner = watchWire(secure);
      secure.write(`GET /inside HTTP/1.1\r\nHost: localhost:${tlsOrigin.port}\r\nCookie: c=1\r\n\r\n`);
      const response = await readResponse(inner);
      expect(response.status).toBe(200);
      expect(JSON.parse(response.body.toString())).toMatchObject({ server: 'tls-origin', path: '/inside' });
      secure.end();
      await settle(100);

      const seen = proxy.observe();
      expect(seen.kind).toBe('socks5-proxy');
      expect(seen.sessions).toHaveLength(1);
      const [session] = seen.sessions;
      expect(session).toMatchObject({
        connection: 1,
        peerAddress: '127.0.0.1',
        peerPort: localPort,
        methodsOffered: [0x00, 0x02],
        method: 'no-auth',
        authorized: true,
        command: 'connect',
        addressType: 'domain',
        target: `localhost:${tlsOrigin.port}`,
        reply: 0,
        outcome: 'tunnel',
        upstream: { host: '127.0.0.1', port: tlsOrigin.port },
      });
      expect(session!.tunnel).toMatchObject({ target: `localhost:${tlsOrigin.port}`, used: true, endedBy: 'client' });
      expect(session!.tunnel!.bytesFromClient).toBeGreaterThan(200);
      expect(session!.tunnel!.bytesFromOrigin).toBeGreaterThan(200);
      expect(JSON.stringify(seen)).not.toContain('/inside');
      expect(seen.connections).toHaveLength(1);
      const origin = tlsOrigin.observe();
      expect(origin.connections[0]!.tls?.outcome).toBe('established');
      expect(origin.received[0]).toMatchObject({ path: '/inside', cookie: 'c=1' });
      socket.destroy();
    });
  });

  test('username/password (RFC 1929): no acceptable method without 0x02, 0x01 for wrong credentials, a tunnel with the right ones', async () => {
    await withProxy({ auth: { username: 'socks-user', password: 'socks-pass' } }, async ({ proxy, origin }) => {
      expect(proxy.urlWithCredentials).toBe(`socks5://socks-user:socks-pass@127.0.0.1:${proxy.port}`);
      // Only no-auth offered: 0xFF, closed.
      const bare = await rawConnect(proxy.port);
      const bareWire = reader(bare);
      bare.write(Buffer.from([0x05, 0x01, 0x00]));
      expect([...(await bareWire.read(2))]).toEqual([0x05, 0xff]);
      await bareWire.closed;
      // Wrong password: status 0x01, closed.
      const wrong = await rawConnect(proxy.port);
      const wrongWire = reader(wrong);
      wrong.write(Buffer.from([0x05, 0x02, 0x00, 0x02]));
      expect([...(await wrongWire.read(2))]).toEqual([0x05, 0x02]);
      wrong.write(credentials('socks-user', 'nope'));
      expect([...(await wrongWire.read(2))]).toEqual([0x01, 0x01]);
      await wrongWire.closed;
      // The right ones: 0x00, then CONNECT by IPv4 to the plain origin and a request through it.
      const right = await rawConnect(proxy.port);
      const rightWire = reader(right);
      right.write(Buffer.from([0x05, 0x01, 0x02]));
      expect([...(await rightWire.read(2))]).toEqual([0x05, 0x02]);
      right.write(credentials('socks-user', 'socks-pass'));
      expect([...(await rightWire.read(2))]).toEqual([0x01, 0x00]);
      right.write(ipv4Request('127.0.0.1', origin.port));
      expect((await rightWire.read(10))[1]).toBe(SOCKS5_REPLY.succeeded);
      rightWire.detach();
      const inner = watchWire(right);
      right.write(`GET /through HTTP/1.1\r\nHost: 127.0.0.1:${origin.port}\r\n\r\n`);
      expect((await readResponse(inner)).status).toBe(200);
      right.end();
      await settle(100);

      const seen = proxy.observe();
      expect(seen.sessions.map((s) => [s.method, s.username ?? null, s.password ?? null, s.authorized, s.outcome, s.target ?? null])).toEqual([
        ['none-acceptable', null, null, false, 'no-acceptable-method', null],
        ['username-password', 'socks-user', 'nope', false, 'auth-failed', null],
        ['username-password', 'socks-user', 'socks-pass', true, 'tunnel', `127.0.0.1:${origin.port}`],
      ]);
      expect(seen.sessions[2]!.addressType).toBe('ipv4');
      // Only the authorised tunnel reached the origin.
      expect(origin.observe().received.map((r) => r.path)).toEqual(['/through']);
      for (const s of [bare, wrong, right]) s.destroy();
    });
  });

  test('refusals: a target outside loopback (0x02), BIND (0x07), an unreachable origin (0x05), a request that is not SOCKS5', async () => {
    await withProxy({}, async ({ proxy, origin }) => {
      const ask = async (request: Buffer): Promise<number[]> => {
        const socket = await rawConnect(proxy.port);
        const wire = reader(socket);
        socket.write(Buffer.from([0x05, 0x01, 0x00]));
        await wire.read(2);
        socket.write(request);
        const answer = [...(await wire.read(10))];
        await wire.closed;
        return answer.slice(0, 2);
      };
      expect(await ask(ipv4Request('192.0.2.1', 443))).toEqual([0x05, SOCKS5_REPLY.notAllowed]);
      expect(await ask(domainRequest('example.invalid', 443))).toEqual([0x05, SOCKS5_REPLY.notAllowed]);
      expect(await ask(domainRequest('localhost', origin.port, 0x02))).toEqual([0x05, SOCKS5_REPLY.commandNotSupported]);
      // ::1 is loopback, but the origin listens on 127.0.0.1 only: the connect is refused.
      const v6 = Buffer.from([0x05, 0x01, 0x00, 0x04, ...new Array<number>(15).fill(0), 1, ...port2(origin.port)]);
      const v6Answer = await rawConnect(proxy.port).then(async (socket) => {
        const wire = reader(socket);
        socket.write(Buffer.from([0x05, 0x01, 0x00]));
        await wire.read(2);
        socket.write(v6);
        const head = [...(await wire.read(4))];
        await wire.closed;
        return head;
      });
      expect(v6Answer.slice(0, 2)).toEqual([0x05, SOCKS5_REPLY.connectionRefused]);
      // An HTTP request to the SOCKS port: closed without an answer.
      const http = await rawConnect(proxy.port);
      const httpWire = reader(http);
      http.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      await httpWire.closed;
      await settle();

      const seen = proxy.observe();
      expect(seen.sessions.map((s) => [s.outcome, s.reply ?? null, s.target ?? null])).toEqual([
        ['refused-target', 0x02, '192.0.2.1:443'],
        ['refused-target', 0x02, 'example.invalid:443'],
        ['unsupported-command', 0x07, `localhost:${origin.port}`],
        ['upstream-failed', 0x05, `[::1]:${origin.port}`],
        ['bad-request', null, null],
      ]);
      expect(seen.sessions[0]!.reason).toMatch(/192\.0\.2\.1 is not a loopback address/);
      expect(seen.sessions[2]!.command).toBe('bind');
      expect(seen.sessions[3]!.addressType).toBe('ipv6');
      expect(seen.sessions.slice(0, 3).every((s) => s.upstream === undefined)).toBe(true);
      expect(origin.observe().received).toHaveLength(0);
    });
  });

  test('the client address: a client bound to 127.0.0.2 is logged as 127.0.0.2', async () => {
    await withProxy({}, async ({ proxy, origin }) => {
      const socket = await rawConnect(proxy.port, '127.0.0.2');
      const wire = reader(socket);
      socket.write(Buffer.from([0x05, 0x01, 0x00]));
      await wire.read(2);
      socket.write(ipv4Request('127.0.0.1', origin.port));
      await wire.read(10);
      const [session] = proxy.observe().sessions;
      expect(session).toMatchObject({ peerAddress: '127.0.0.2', peerPort: socket.localPort, outcome: 'tunnel' });
      socket.destroy();
    });
  });

  test('bounded: a tunnel is cut past maxBytesPerConnection, connections beyond maxConnections dropped, a stalled handshake cut', async () => {
    await withProxy({ maxBytesPerConnection: 4096, maxConnections: 2, handshakeTimeoutMs: 300 }, async ({ proxy, origin }) => {
      const socket = await rawConnect(proxy.port);
      const wire = reader(socket);
      socket.write(Buffer.from([0x05, 0x01, 0x00]));
      await wire.read(2);
      socket.write(ipv4Request('127.0.0.1', origin.port));
      await wire.read(10);
      socket.write(`POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: 10000\r\n\r\n${'z'.repeat(10_000)}`);
      await wire.closed;

      // Half a greeting, then nothing: cut after the handshake timeout.
      const stalled = await rawConnect(proxy.port);
      const stalledWire = reader(stalled);
      stalled.write(Buffer.from([0x05]));
      const started = performance.now();
      await stalledWire.closed;
      expect(performance.now() - started).toBeGreaterThan(200);

      // Two held (each stalls in its greeting), a third dropped at accept.
      const held = [await rawConnect(proxy.port), await rawConnect(proxy.port)];
      const third = watchWire(await rawConnect(proxy.port));
      const out = await third.watch(2000);
      expect(out.stillOpen).toBe(false);
      await Promise.all(held.map((h) => reader(h).closed));

      const seen = proxy.observe();
      expect(seen.sessions[0]!.tunnel).toMatchObject({ endedBy: 'cap' });
      expect(seen.sessions[0]!.tunnel!.bytesFromClient).toBeGreaterThan(4096);
      expect(seen.sessions[1]).toMatchObject({ outcome: 'incomplete', reason: 'no complete request within 300 ms' });
      expect(seen.droppedConnections).toBe(1);
      expect(seen.sessions).toHaveLength(4);
    });
  });

  test("the origin counts a relayed connection as the client's, and a direct one from another process as foreign", async () => {
    await withProxy({}, async ({ proxy, origin }) => {
      // The origin judges against a process that is not this one: a connection this process opens to it
      // directly is foreign; one the proxy relays for a SOCKS connection the proxy counts (a proxy never
      // admitted counts every connection) is the client's.
      const other = spawn('sleep', ['30'], { stdio: 'ignore' });
      try {
        origin.admit(processOwner(other.pid!), 'relay-token');
        const socket = await rawConnect(proxy.port);
        const wire = reader(socket);
        socket.write(Buffer.from([0x05, 0x01, 0x00]));
        await wire.read(2);
        socket.write(ipv4Request('127.0.0.1', origin.port));
        await wire.read(10);
        wire.detach();
        const through = watchWire(socket);
        socket.write(`GET /relayed HTTP/1.1\r\nHost: x\r\n\r\n`);
        expect((await readResponse(through)).status).toBe(200);
        const direct = watchWire(await rawConnect(origin.port));
        direct.socket.write(`GET /direct HTTP/1.1\r\nHost: x\r\n\r\n`);
        expect((await readResponse(direct)).status).toBe(200);
        await origin.settled();
        const seen = origin.observe();
        expect(seen.connections).toHaveLength(1);
        expect(seen.received.map((r) => r.path)).toEqual(['/relayed']);
        expect(seen.foreign).toHaveLength(1);
        socket.destroy();
        direct.socket.destroy();
      } finally {
        other.kill();
      }
    });
  });
});
