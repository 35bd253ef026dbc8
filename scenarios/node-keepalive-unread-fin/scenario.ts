// nodejs/node#47130 (open) and nodejs/undici#3492 (open): a kept-alive connection the server closed while
// the client's event loop was busy. Node learns of a peer's FIN only when its event loop reads the socket; a
// program that does synchronous work between two requests (parsing, rendering, a CPU-bound handler) gives
// it no turn, and the next request is handed the pooled connection whose FIN is waiting unread. It goes out
// on a connection the server has closed: the GET fails with ECONNRESET ('socket hang up') or
// UND_ERR_SOCKET, and a POST is sent to a server that never answers it. The #47130 thread names the
// mechanism (its reproducer's busy loop left Node no chance to act on the close).
// The server closes a connection 300 ms after its last response (idleClose); the client blocks its thread
// for 1 s after the first response, then sends the second request at once.
import { defineScenario, delay, idleClose, serveHttp } from '../../harness/scenario-kit.ts';
import { judgeUnreadFin } from './judge.ts';

const IDLE_CLOSE_MS = 300;
/** The client's busy time: over three times the server's idle close, so the FIN is in long before it ends. */
const BUSY_MS = 1000;
const POST_BYTES = 4321;

const server = (method: 'GET' | 'POST', name: string) => () =>
  // delay(0) answers at once on the faulted-route path, which takes any method and counts the body's bytes.
  serveHttp({ app: { keepAliveTimeoutMs: 60_000, faults: { routes: { '/busy': delay(0) }, connection: [idleClose(IDLE_CLOSE_MS)] } } }, ({ app }) => ({
    url: app!.url,
    path: `/busy/${name}`,
    method,
    postBytes: POST_BYTES,
    busyMs: BUSY_MS,
  }));

export default defineScenario({
  meta: {
    id: 'node-keepalive-unread-fin',
    title: "A kept-alive connection the server closed while the client's event loop was busy: the next request goes out on it",
    upstream: { issue: 'https://github.com/nodejs/node/issues/47130', fix: [] },
    seedClaim: {
      firstFixed: 'none (open); nodejs/undici#3492 (open) for fetch',
      source: 'https://github.com/nodejs/node/issues/47130; https://github.com/nodejs/undici/issues/3492',
    },
    measured: {
      lastBroken: 'node-http on Node 26.10.0; fetch on Node 20.20.2',
      firstFixed: 'fetch on Node 22.23.3 (its undici 6.28.1 has the idle-socket validation of undici 6.27.0 / 7.28.0 / 8.5.0)',
      note: "node:http's default agent reuses the closed connection on every Node from 20 (18 keeps no connection alive); fetch fails where Node bundles an undici without the idle-socket validation (18, 20, 21, 23, 25)",
    },
    failureSignature: 'the second request arrives on the connection the server closed (FIN sent ~700 ms earlier) and fails, or a POST is sent into it',
    // fetch: historic (Node 22 and later pass); node:http fails on the newest Node.
    status: { 'node-http': 'open-upstream' },
  },
  cases: [
    {
      name: 'get-after-busy-loop',
      summary: `GET, ${BUSY_MS} ms of synchronous work (the server closes idle connections after ${IDLE_CLOSE_MS} ms), GET at once`,
      timeLimitMs: 30_000,
      unavoidableWaitMs: BUSY_MS,
      setup: server('GET', 'get-after-busy-loop'),
      judge: judgeUnreadFin,
    },
    {
      name: 'post-after-busy-loop',
      summary: `GET, ${BUSY_MS} ms of synchronous work (the server closes idle connections after ${IDLE_CLOSE_MS} ms), POST at once`,
      timeLimitMs: 30_000,
      unavoidableWaitMs: BUSY_MS,
      setup: server('POST', 'post-after-busy-loop'),
      judge: judgeUnreadFin,
    },
  ],
});
