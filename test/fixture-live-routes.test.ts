// The fixture routes the live-failure scenarios rely on: an endless chunked body that ends only when the
// client leaves (or at the fixture's cap), and the /seen barrier count a client program polls.
import { request } from 'node:http';
import { describe, expect, test } from 'vitest';
import { makeClock } from '../fixtures/connection-tracker.ts';
import { startHttpFixture } from '../fixtures/http-server.ts';

function getJson(url: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve(JSON.parse(body)));
    })
      .on('error', reject)
      .end();
  });
}

describe('endless chunked route', () => {
  test('streams chunks until the client leaves, and records that it left', async () => {
    const server = await startHttpFixture(makeClock(), { keepAliveTimeoutMs: 10_000 });
    try {
      const { chunks, encoding } = await new Promise<{ chunks: number; encoding?: string }>((resolve, reject) => {
        const req = request(`${server.url}/stream/x?every=20`, (res) => {
          let chunks = 0;
          res.on('data', () => {
            chunks += 1;
            if (chunks === 4) {
              req.destroy();
              resolve({ chunks, encoding: res.headers['transfer-encoding'] });
            }
          });
          res.on('error', () => undefined);
        });
        req.on('error', (error) => (req.destroyed ? undefined : reject(error)));
        req.end();
      });
      expect(chunks).toBe(4);
      expect(encoding).toBe('chunked');
      await new Promise((r) => setTimeout(r, 100));
      const seen = server.observe();
      expect(seen.requests).toEqual([expect.objectContaining({ path: '/stream/x?every=20', aborted: true })]);
      expect(seen.requests[0]!.respondedAt).toBeDefined();
      expect(seen.connections[0]!.closedAt).toBeDefined();
    } finally {
      await server.close();
    }
  });

  test('ends the body at the fixture cap, so it can never stream forever', async () => {
    const server = await startHttpFixture(makeClock(), { keepAliveTimeoutMs: 10_000, maxDelayMs: 200 });
    try {
      const ended = await new Promise<boolean>((resolve) => {
        request(`${server.url}/stream/capped?every=20`, (res) => {
          res.resume();
          res.on('end', () => resolve(true));
        }).end();
      });
      expect(ended).toBe(true);
      expect(server.observe().requests[0]!.aborted).toBeUndefined();
    } finally {
      await server.close();
    }
  });
});

describe('/seen barrier', () => {
  test('counts the requests whose path starts with the prefix', async () => {
    const server = await startHttpFixture(makeClock(), { keepAliveTimeoutMs: 10_000 });
    try {
      await getJson(`${server.url}/a/1`);
      await getJson(`${server.url}/a/2`);
      await getJson(`${server.url}/b/1`);
      expect(await getJson(`${server.url}/seen?prefix=/a/`)).toEqual({ count: 2 });
      expect(await getJson(`${server.url}/seen?prefix=/c/`)).toEqual({ count: 0 });
      expect(await getJson(`${server.url}/seen`)).toEqual({ count: 0 });
    } finally {
      await server.close();
    }
  });
});
