// The keep-alive race's server fault on the wire (fixtures/faults/http1.ts, dropAfterFirst): the first request
// on a connection is answered with keep-alive; the next one is read to its last body byte, then the
// connection ends (FIN, or RST) with not one byte of answer; a new connection is treated the same way.
import { describe, expect, test } from 'vitest';
import { makeClock } from '../fixtures/connection-tracker.ts';
import { parseRouteFault } from '../fixtures/faults/parse.ts';
import { dropAfterFirst } from '../fixtures/faults/vocabulary.ts';
import { type HttpFixture, startHttpFixture } from '../fixtures/http-server.ts';
import { get, headEnd, openWire, type WireConnection } from './support/raw-client.ts';

const settle = (ms = 100): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function withRace(how: 'fin' | 'rst', body: (server: HttpFixture) => Promise<void>): Promise<void> {
  const server = await startHttpFixture(makeClock(), { keepAliveTimeoutMs: 30_000, faults: { routes: { '/race': dropAfterFirst(how) } } });
  try {
    await body(server);
  } finally {
    await server.close();
  }
}

/** The first exchange: a whole 200 with keep-alive, and the connection left open. */
async function answeredFirst(wire: WireConnection, path: string): Promise<void> {
  wire.socket.write(get(path));
  const head = await wire.bytesAtLeast(1, 5000);
  const end = headEnd(head.bytes);
  expect(end).toBeGreaterThan(0);
  const length = Number(/content-length: (\d+)/i.exec(head.bytes.toString())![1]);
  const whole = await wire.bytesAtLeast(end + length, 5000);
  expect(whole.bytes.toString()).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
  expect(whole.bytes.toString()).toMatch(/connection: keep-alive/i);
  expect(whole.stillOpen).toBe(true);
  expect(whole.finAt).toBeUndefined();
}

const postHead = (path: string, length: number): string =>
  `POST ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/octet-stream\r\ncontent-length: ${length}\r\n\r\n`;

describe('dropAfterFirst (the keep-alive race, deterministic)', () => {
  test('FIN: the second request is read whole (body included), then a FIN and no answer; a new connection is answered first', async () => {
    await withRace('fin', async (server) => {
      const wire = await openWire(server.port);
      await answeredFirst(wire, '/race/one');
      const before = wire.outcome.bytes.length;
      // Half the body, then a pause: the server must wait for the rest, not close on the headers.
      wire.socket.write(postHead('/race/two', 1000) + 'x'.repeat(500));
      const early = await wire.watch(400);
      expect(early.stillOpen).toBe(true);
      expect(early.finAt).toBeUndefined();
      wire.socket.write('x'.repeat(500));
      const out = await wire.bytesAtLeast(before + 1, 5000);
      expect(out.finAt).toBeDefined();
      expect(out.error).toBeUndefined();
      expect(out.bytes.length).toBe(before);
      wire.socket.end();
      await wire.watch(2000);

      const again = await openWire(server.port);
      await answeredFirst(again, '/race/three');
      again.socket.destroy();
      await settle();

      const seen = server.observe();
      const mine = seen.connections.find((c) => c.remotePort === wire.localPort)!;
      expect(mine.closedBy).toBe('server');
      expect(seen.requests.filter((r) => r.connection === mine.id).map((r) => [r.method, r.path, r.bodyBytes])).toEqual([
        ['GET', '/race/one', 0],
        ['POST', '/race/two', 1000],
      ]);
      expect(seen.faults.filter((f) => f.connection === mine.id)).toEqual([expect.objectContaining({ kind: 'drop-after-first', request: '/race/two' })]);
      expect(seen.requests.find((r) => r.path === '/race/three')!.respondedAt).toBeDefined();
    });
  });

  test('RST: the second request read, then ECONNRESET and not one byte of answer', async () => {
    await withRace('rst', async (server) => {
      const wire = await openWire(server.port);
      await answeredFirst(wire, '/race/one');
      const before = wire.outcome.bytes.length;
      wire.socket.write(get('/race/two'));
      const out = await wire.watch(5000);
      expect(out.error).toBe('ECONNRESET');
      expect(out.bytes.length).toBe(before);
      await settle();
      const seen = server.observe();
      expect(seen.requests.map((r) => r.path)).toEqual(['/race/one', '/race/two']);
      expect(seen.faults).toEqual([expect.objectContaining({ kind: 'drop-after-first', request: '/race/two' })]);
    });
  });

  test('the command-line spelling', () => {
    expect(parseRouteFault('drop-after-first').kind).toBe('drop-after-first');
    expect(parseRouteFault('drop-after-first:rst')).toMatchObject({ kind: 'drop-after-first', how: 'rst' });
    expect(() => parseRouteFault('drop-after-first:x')).toThrow(/drop-after-first/);
  });
});
