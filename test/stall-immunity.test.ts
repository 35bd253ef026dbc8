// A stalled fixture event loop must not change a verdict: when the client sets a mark, the tracker reads
// the kernel's view of every connection it still thinks open (syncWithKernel). Here the server side never
// reads (a paused socket: Node learns of no FIN, as during a stall), yet the kernel has the client's FIN.
import { createServer, type Server, type Socket, connect } from 'node:net';
import { afterEach, expect, test } from 'vitest';
import { clientEndedAt, ConnectionTracker, makeClock } from '../fixtures/connection-tracker.ts';

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.on('error', reject);
  });
}

test('a connection the client closed is ended at the mark although the stalled loop never saw its FIN; an open one stays open', async () => {
  const clock = makeClock();
  const tracker = new ConnectionTracker(clock);
  const accepted: Socket[] = [];
  server = createServer({ pauseOnConnect: true }, (socket) => accepted.push(socket));
  tracker.attach(server, false);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const closing = await open(port);
  const staying = await open(port);
  while (accepted.length < 2) await new Promise((r) => setTimeout(r, 10));
  closing.end();
  // The FIN reaches the kernel at once; the paused server sockets never read it.
  await new Promise((r) => setTimeout(r, 200));
  const before = tracker.snapshot().connections;
  expect(before.every((c) => clientEndedAt(c) === undefined)).toBe(true);
  const at = clock();
  tracker.syncWithKernel(at);
  const after = tracker.snapshot().connections.sort((a, b) => a.id - b.id);
  const ended = after.filter((c) => clientEndedAt(c) !== undefined);
  expect(ended).toHaveLength(1);
  expect(ended[0]!.clientEndedBy).toBe(at);
  expect(ended[0]!.remotePort).toBe(closing.localPort);
  expect(after.find((c) => c.remotePort === staying.localPort)?.clientEndedBy).toBeUndefined();
  staying.destroy();
  for (const s of accepted) s.destroy();
});

// The reenter judge on the server's records: a cycle answered after the client's read timeout (the fixture
// loop stalled) but received by the server was served within the limit; one the server never saw is not.
import { judgeCycles } from '../scenarios/pool-exhaustion-after-close/judge.ts';
import type { ClientStep, InstalledClient, JudgeInput } from '../harness/types.ts';

function reenterInput(thirdCycle: Partial<ClientStep>, serverSawThird: boolean): JudgeInput {
  const step = (n: number): ClientStep => ({ name: `cycle-${n}`, ok: true, status: 200, startedAt: n, elapsed: 0.01 });
  const steps = [step(1), step(2), { ...step(3), ...thirdCycle }, step(4)];
  const paths = [1, 2, 3, 4].filter((n) => n !== 3 || serverSawThird).map((n) => `/cycle/${n}`);
  const connections = paths.map((path, i) => ({ id: i + 1, remotePort: 40000 + i, openedAt: i * 100, closedAt: i * 100 + 50, clientFinAt: i * 100 + 40, closedBy: 'client' as const, requests: 1, paths: [path] }));
  return {
    client: { status: 'ok', steps, facts: {} },
    server: {
      app: {
        connections,
        requests: connections.map((c) => ({ connection: c.id, method: 'GET', path: c.paths[0]!, at: c.openedAt + 1 })),
        peakConcurrentConnections: 1,
        openAtObservation: 0,
        tlsFailures: 0,
        foreign: [],
        faults: [],
      },
    },
    installed: { python: '3.11', openssl: '', packages: {}, module: 'httpx' } as InstalledClient,
    clientExitedAt: 5000,
    marks: { linger: 1000 },
    input: { cycles: 4, hardLimit: 2 },
  };
}

test('reenter: a read timeout on a cycle the server received is judged on the server record (fixed); unseen, it is an error', () => {
  const readTimeout = { ok: false, status: undefined, error: { type: 'httpx.ReadTimeout', kind: 'read-timeout', message: '', chain: [] } } as Partial<ClientStep>;
  const seen = judgeCycles(reenterInput(readTimeout, true));
  expect(seen.verdict).toBe('fixed');
  expect(seen.reason).toMatch(/cycle\(s\) 3 came after the client's read timeout/);
  expect(judgeCycles(reenterInput(readTimeout, false)).verdict).toBe('error');
  expect(judgeCycles(reenterInput({}, true)).verdict).toBe('fixed');
  const poolTimeout = { ok: false, status: undefined, error: { type: 'httpx.PoolTimeout', kind: 'pool-timeout', message: '', chain: [] } } as Partial<ClientStep>;
  expect(judgeCycles(reenterInput(poolTimeout, false)).verdict).toBe('reproduced');
});
