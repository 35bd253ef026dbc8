// The two fixtures of the got scenarios proven on the wire with node:http (no client under test): the
// validator server's 200 / 304 exchange and what it records, and the UNIX-socket server's redirect, its
// socket log and the removal of its per-run folder.
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { makeClock } from '../fixtures/connection-tracker.ts';
import { resourceBody, startRevalidationServer } from '../fixtures/revalidation-server.ts';
import { INTERNAL_SECRET, startUnixSocketServer } from '../fixtures/unix-socket-server.ts';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function get(target: { port?: number; socketPath?: string; path: string; headers?: Record<string, string> }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', agent: false, ...target, method: 'GET' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.setTimeout(5000, () => req.destroy(new Error('no answer in 5 s')));
    req.on('error', reject);
    req.end();
  });
}

describe('revalidation server', () => {
  test('200 with ETag and no-cache, 304 with Content-Encoding and no body to a matching If-None-Match', async () => {
    const server = await startRevalidationServer(makeClock());
    try {
      const first = await get({ port: server.port, path: '/resource/r1?encoding=gzip' });
      expect(first.status).toBe(200);
      expect(first.headers['content-encoding']).toBe('gzip');
      expect(first.headers['cache-control']).toBe('no-cache');
      expect(gunzipSync(first.body).equals(resourceBody('r1'))).toBe(true);
      const etag = String(first.headers.etag);
      const again = await get({ port: server.port, path: '/resource/r1?encoding=gzip', headers: { 'if-none-match': etag } });
      expect(again.status).toBe(304);
      expect(again.headers['content-encoding']).toBe('gzip');
      expect(again.body.length).toBe(0);
      const stale = await get({ port: server.port, path: '/resource/r1?encoding=identity', headers: { 'if-none-match': '"other"' } });
      expect(stale.status).toBe(200);
      expect(stale.headers['content-encoding']).toBeUndefined();
      const bare = await get({ port: server.port, path: '/not-modified/n1?encoding=gzip' });
      expect([bare.status, bare.headers['content-encoding'], bare.body.length]).toEqual([304, 'gzip', 0]);
      const seen = server.observe();
      expect(seen.kind).toBe('revalidation');
      expect(seen.exchanges.map((e) => [e.route, e.ifNoneMatch ?? null, e.answered.status])).toEqual([
        ['resource', null, 200],
        ['resource', etag, 304],
        ['resource', '"other"', 200],
        ['not-modified', null, 304],
      ]);
      expect(seen.resources.r1!.bytes).toBe(resourceBody('r1').length);
      expect(seen.exchanges[1]!.answered.at).toBeGreaterThanOrEqual(seen.exchanges[1]!.at);
    } finally {
      await server.close();
    }
  });
});

describe('UNIX-socket server', () => {
  test('the front redirects to the socket, the socket logs what reaches it, and its folder is removed on close', async () => {
    const server = await startUnixSocketServer(makeClock());
    const { socketPath } = server;
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const redirect = await get({ port: server.port, path: '/redirect?status=302&path=/admin' });
      expect(redirect.status).toBe(302);
      expect(redirect.headers.location).toBe(`http://unix:${socketPath}:/admin`);
      expect(server.observe().socketRequests).toEqual([]);
      server.admit(null, 'tok');
      const direct = await get({ socketPath, path: '/admin', headers: { 'x-regress-client': 'tok' } });
      expect([direct.status, direct.body.toString()]).toEqual([200, INTERNAL_SECRET]);
      const seen = server.observe();
      expect(seen.socketRequests.map((r) => [r.method, r.path, r.carriesToken])).toEqual([['GET', '/admin', true]]);
      expect(seen.socketConnections).toBe(1);
      expect((await get({ port: server.port, path: '/redirect?status=200' })).status).toBe(400);
    } finally {
      await server.close();
    }
    expect(existsSync(socketPath)).toBe(false);
  });
});
