// The compression server (fixtures/compression-server.ts) proven on the wire with raw sockets and zlib:
// the bomb's compressed size and its prefix inflating to zeros (and a smaller bomb inflating whole to the
// size it claims), a chain of N codings undone in exactly N steps, a valid payload inflating to its size,
// chunked framing, what the server records for a client that reads everything and one that leaves early,
// and that serving the default 512 MiB bomb does not make the server hold it.
import { createHash } from 'node:crypto';
import { createGunzip, createInflate, gunzipSync, inflateSync, constants as zlib } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { makeClock } from '../fixtures/connection-tracker.ts';
import { type CompressionServer, type CompressionServerOptions, parseSize, startCompressionServer } from '../fixtures/compression-server.ts';
import { watchWire } from './support/raw-client.ts';
import { rawConnect, readResponse } from './support/raw-http.ts';

const MiB = 1024 * 1024;
const settle = (ms = 50): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function withServer(options: CompressionServerOptions, body: (server: CompressionServer) => Promise<void>): Promise<void> {
  const server = await startCompressionServer(makeClock(), options);
  try {
    await body(server);
  } finally {
    await server.close();
  }
}

async function fetchWhole(port: number, path: string): Promise<Awaited<ReturnType<typeof readResponse>>> {
  const wire = watchWire(await rawConnect(port));
  wire.socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: gzip, deflate\r\n\r\n`);
  try {
    return await readResponse(wire, 0, 10_000);
  } finally {
    wire.socket.end();
  }
}

/** Inflate a whole body through a stream, counting bytes and checking every one against `expected`. */
async function inflateCounting(body: Buffer, coding: 'gzip' | 'deflate', check: (chunk: Buffer) => boolean): Promise<{ bytes: number; allMatch: boolean; sha256: string }> {
  const stream = coding === 'gzip' ? createGunzip() : createInflate();
  const hash = createHash('sha256');
  let bytes = 0;
  let allMatch = true;
  stream.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    hash.update(chunk);
    if (allMatch && !check(chunk)) allMatch = false;
  });
  const done = new Promise<void>((resolve, reject) => stream.once('end', resolve).once('error', reject));
  stream.end(body);
  await done;
  return { bytes, allMatch, sha256: hash.digest('hex') };
}

const ZERO = Buffer.alloc(MiB);
/** All zeros, compared natively (a byte loop in JavaScript over 64 MiB took a second). */
const zeros = (chunk: Buffer): boolean => {
  for (let at = 0; at < chunk.length; at += ZERO.length) {
    const part = chunk.subarray(at, at + ZERO.length);
    if (!part.equals(ZERO.subarray(0, part.length))) return false;
  }
  return true;
};

describe('compression server', () => {
  test('sizes: a byte count or KiB/MiB/GiB', () => {
    expect([parseSize('512MiB'), parseSize('40mib'), parseSize('64KiB'), parseSize('1GiB'), parseSize('123'), parseSize('x')]).toEqual([
      512 * MiB,
      40 * MiB,
      64 * 1024,
      1024 * MiB,
      123,
      Number.NaN,
    ]);
  });

  test('the bomb: 512 MiB of zeros in about 530 KB, a prefix inflates to zeros at ~1000:1, the server holds none of it', async () => {
    await withServer({}, async (server) => {
      const before = process.memoryUsage().arrayBuffers;
      const answer = await fetchWhole(server.port, '/bomb');
      const grown = process.memoryUsage().arrayBuffers - before;
      expect(answer.status).toBe(200);
      expect(answer.headers['content-encoding']).toBe('gzip');
      expect(answer.headers['x-regress-inflated-bytes']).toBe(String(512 * MiB));
      const length = Number(answer.headers['content-length']);
      expect(length).toBe(answer.body.length);
      expect(length).toBeGreaterThan(400_000);
      expect(length).toBeLessThan(700_000);
      // gzip magic, deflate, and the trailer's ISIZE says 512 MiB.
      expect([...answer.body.subarray(0, 3)]).toEqual([0x1f, 0x8b, 0x08]);
      expect(answer.body.readUInt32LE(answer.body.length - 4)).toBe(512 * MiB);
      // The first 16 KB inflate (a partial stream: sync flush) to zeros only, a thousand times as many.
      const prefix = answer.body.subarray(0, 16 * 1024);
      const inflated = gunzipSync(prefix, { finishFlush: zlib.Z_SYNC_FLUSH });
      expect(zeros(inflated)).toBe(true);
      expect(inflated.length).toBeGreaterThan(prefix.length * 900);
      // The test's own buffers for 530 KB received are all that grew: the server streamed cached segments.
      expect(grown).toBeLessThan(64 * MiB);
      await settle();
      const [sent] = server.observe().responses;
      expect(sent).toMatchObject({ route: 'bomb', contentEncoding: ['gzip'], inflatedBytes: 512 * MiB, bodyBytes: length, bytesFlushed: length, complete: true, clientClosedEarly: false });
    });
  });

  test('a smaller bomb inflates whole to exactly the size it claims (CRC and length checked by zlib), gzip and deflate', async () => {
    await withServer({}, async (server) => {
      for (const coding of ['gzip', 'deflate'] as const) {
        const answer = await fetchWhole(server.port, `/bomb?size=32MiB&coding=${coding}`);
        expect(answer.headers['content-encoding']).toBe(coding);
        const out = await inflateCounting(answer.body, coding, zeros);
        expect(out).toMatchObject({ bytes: 32 * MiB, allMatch: true });
      }
    });
  });

  test('chunked framing: the same bomb without Content-Length', async () => {
    await withServer({}, async (server) => {
      const wire = watchWire(await rawConnect(server.port));
      wire.socket.write('GET /bomb?size=3MiB&framing=chunked HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      const out = await wire.watch(5000);
      const raw = out.bytes.toString('latin1');
      const headEnd = raw.indexOf('\r\n\r\n') + 4;
      expect(raw.slice(0, headEnd)).toMatch(/transfer-encoding: chunked/i);
      expect(raw.slice(0, headEnd)).not.toMatch(/content-length/i);
      // De-chunk by hand.
      const parts: Buffer[] = [];
      for (let at = headEnd; ; ) {
        const lineEnd = out.bytes.indexOf('\r\n', at);
        const size = parseInt(out.bytes.subarray(at, lineEnd).toString(), 16);
        if (size === 0) break;
        parts.push(out.bytes.subarray(lineEnd + 2, lineEnd + 2 + size));
        at = lineEnd + 2 + size + 2;
      }
      const inflated = gunzipSync(Buffer.concat(parts));
      expect(inflated.length).toBe(3 * MiB);
      expect(zeros(inflated)).toBe(true);
      expect(server.observe().responses[0]).toMatchObject({ framing: 'chunked', complete: true });
    });
  });

  test('a chain of N codings is undone in exactly N steps (one header list, repeated lines, and mixed)', async () => {
    await withServer({}, async (server) => {
      for (const [query, expected] of [
        ['depth=5&coding=gzip', ['gzip', 'gzip', 'gzip', 'gzip', 'gzip']],
        ['depth=4&coding=mixed', ['gzip', 'deflate', 'gzip', 'deflate']],
        ['depth=3&coding=deflate&headers=repeat', ['deflate', 'deflate', 'deflate']],
      ] as const) {
        const answer = await fetchWhole(server.port, `/chain?${query}`);
        expect(answer.status).toBe(200);
        const lines = answer.headerLines.filter(([name]) => name.toLowerCase() === 'content-encoding').map(([, v]) => v);
        if (query.includes('repeat')) expect(lines).toEqual(expected);
        else expect(lines).toEqual([expected.join(', ')]);
        // Undo the codings from the last applied to the first.
        let body = answer.body;
        for (const coding of [...expected].reverse()) body = coding === 'gzip' ? gunzipSync(body) : inflateSync(body);
        expect(JSON.parse(body.toString())).toEqual({ regress: 'chain', depth: expected.length, codings: query.includes('mixed') ? 'gzip,deflate' : expected[0] });
        // One step fewer leaves a compressed stream, not the payload.
        let short = answer.body;
        for (const coding of [...expected].reverse().slice(0, -1)) short = coding === 'gzip' ? gunzipSync(short) : inflateSync(short);
        expect(() => JSON.parse(short.toString())).toThrow();
      }
      const deep = await fetchWhole(server.port, '/chain?depth=1000');
      expect(deep.headers['content-encoding']!.split(', ')).toHaveLength(1000);
      expect((await fetchWhole(server.port, '/chain?depth=1001')).status).toBe(400);
    });
  });

  test('a valid payload: 40 MiB of text lines in a few MB inflates to exactly 40 MiB', async () => {
    await withServer({}, async (server) => {
      const answer = await fetchWhole(server.port, '/valid');
      expect(answer.headers['x-regress-inflated-bytes']).toBe(String(40 * MiB));
      expect(answer.body.length).toBeLessThan(8 * MiB);
      const out = await inflateCounting(answer.body, 'gzip', (chunk) => !chunk.includes(0));
      expect(out).toMatchObject({ bytes: 40 * MiB, allMatch: true });
      const [sent] = server.observe().responses;
      expect(sent).toMatchObject({ route: 'valid', inflatedBytes: 40 * MiB, bodyBytes: answer.body.length, complete: true });
    });
  });

  test('a client that leaves early: recorded with the bytes flushed by then, and its RST for unread bytes', async () => {
    await withServer({}, async (server) => {
      // 16 GiB of zeros is about 17 MB compressed: more than the loopback socket buffers hold.
      const wire = watchWire(await rawConnect(server.port));
      wire.socket.write('GET /bomb?size=16GiB HTTP/1.1\r\nHost: x\r\n\r\n');
      await wire.bytesAtLeast(100_000, 5000);
      wire.socket.destroy();
      await settle(200);
      const seen = server.observe();
      const [sent] = seen.responses;
      expect(sent!.bodyBytes).toBeGreaterThan(16 * MiB);
      expect(sent).toMatchObject({ route: 'bomb', complete: false, clientClosedEarly: true });
      expect(sent!.flushedWhenClientGone).toBeGreaterThan(0);
      expect(sent!.flushedWhenClientGone).toBeLessThan(sent!.bodyBytes);
      expect(sent!.clientGoneAt).toBeDefined();
      // The client closed with unread bytes in its buffer: Linux sends an RST.
      expect(seen.connections[0]!.closedBy).toBe('client-reset');
      expect(seen.requests[0]!.aborted).toBe(true);
    });
  });
});
