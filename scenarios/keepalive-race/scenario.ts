// The keep-alive race, across every client family: the server closes a kept-alive connection just as the
// client reuses it. Every client handles it differently (retry GET only, retry nothing, raise at once); what
// each one documents is in policies.ts, and a POST the server receives twice (a duplicate side effect) is a
// reproduction in every family. Two servers, neither a timing race:
//   close-after-first: the first request on a connection is answered with keep-alive; the second on the same
//     connection is read whole (body included), then the connection is closed with no answer (FIN; the
//     reset-after-first cases end it with a TCP RST instead).
//   idle-close: the server closes a connection 300 ms after its last response; the client waits 1 s.
import { defineScenario, delay, dropAfterFirst, idleClose, serveHttp } from '../../harness/scenario-kit.ts';
import { judgeRace } from './judge.ts';

/** The POST body: its exact size tells the server's record of it from any other request. */
const POST_BYTES = 4321;
const IDLE_CLOSE_MS = 300;
/** Over three times the server's idle close: a loaded machine only lengthens the gap, never shortens it. */
const IDLE_GAP_S = 1.0;

const closeAfterFirst = (method: 'GET' | 'POST', name: string, how: 'fin' | 'rst' = 'fin') => () =>
  serveHttp({ app: { keepAliveTimeoutMs: 60_000, faults: { routes: { '/race': dropAfterFirst(how) } } } }, ({ app }) => ({
    url: app!.url,
    path: `/race/${name}`,
    method,
    postBytes: POST_BYTES,
    idleSeconds: 0,
  }));

const idleCloseServer = (method: 'GET' | 'POST', name: string) => () =>
  // delay(0) answers at once on the faulted-route path, which takes any method and counts the body's bytes
  // (fastify's own routes answer GET only); idle-close is the server's own timer, exact to the millisecond.
  serveHttp({ app: { keepAliveTimeoutMs: 60_000, faults: { routes: { '/race': delay(0) }, connection: [idleClose(IDLE_CLOSE_MS)] } } }, ({ app }) => ({
    url: app!.url,
    path: `/race/${name}`,
    method,
    postBytes: POST_BYTES,
    idleSeconds: IDLE_GAP_S,
  }));

export default defineScenario({
  meta: {
    id: 'keepalive-race',
    title: 'The keep-alive race: a kept-alive connection closed by the server as the client reuses it — retried, raised, or a POST replayed',
    upstream: {
      issue: 'https://github.com/aio-libs/aiohttp/issues/7297',
      // The release note of 3.10.0 names the change; the families' documented retry behaviours are in policies.ts.
      fix: [],
    },
    seedClaim: {
      firstFixed: 'aiohttp 3.10.0',
      source:
        'https://github.com/aio-libs/aiohttp/issues/7297; each family\'s documented retry behaviour is cited in scenarios/keepalive-race/policies.ts',
    },
    measured: {
      lastBroken: 'aiohttp 3.9.5',
      firstFixed: 'aiohttp 3.10.0',
      note: 'each family at its newest release holds its documented behaviour; no family replays the POST (see README)',
    },
    failureSignature: 'a POST the server received twice, or a documented retry of an idempotent request missing',
    // Every family's cases hold its documented behaviour; urllib3's newest release still leaks on the retry
    // (the leak repetition of get-close-after-first: urllib3/urllib3#3082, open), so a gate names it.
    status: { urllib3: 'open-upstream' },
  },
  cases: [
    {
      name: 'get-close-after-first',
      summary: 'GET answered, then a second GET on the same connection read and closed (FIN) without an answer',
      timeLimitMs: 30_000,
      unavoidableWaitMs: 0,
      setup: closeAfterFirst('GET', 'get-close-after-first'),
      judge: judgeRace,
    },
    {
      name: 'post-close-after-first',
      summary: 'GET answered, then a POST on the same connection read whole and closed (FIN) without an answer',
      timeLimitMs: 30_000,
      unavoidableWaitMs: 0,
      setup: closeAfterFirst('POST', 'post-close-after-first'),
      judge: judgeRace,
    },
    {
      name: 'get-reset-after-first',
      summary: 'GET answered, then a second GET on the same connection read and answered with a TCP RST',
      timeLimitMs: 30_000,
      unavoidableWaitMs: 0,
      setup: closeAfterFirst('GET', 'get-reset-after-first', 'rst'),
      judge: judgeRace,
    },
    {
      name: 'post-reset-after-first',
      summary: 'GET answered, then a POST on the same connection read whole and answered with a TCP RST',
      timeLimitMs: 30_000,
      unavoidableWaitMs: 0,
      setup: closeAfterFirst('POST', 'post-reset-after-first', 'rst'),
      judge: judgeRace,
    },
    {
      name: 'get-idle-close',
      summary: `GET, ${IDLE_GAP_S} s idle (the server closes idle connections after ${IDLE_CLOSE_MS} ms), GET again`,
      timeLimitMs: 30_000,
      unavoidableWaitMs: IDLE_GAP_S * 1000,
      setup: idleCloseServer('GET', 'get-idle-close'),
      judge: judgeRace,
    },
    {
      name: 'post-idle-close',
      summary: `GET, ${IDLE_GAP_S} s idle (the server closes idle connections after ${IDLE_CLOSE_MS} ms), then a POST`,
      timeLimitMs: 30_000,
      unavoidableWaitMs: IDLE_GAP_S * 1000,
      setup: idleCloseServer('POST', 'post-idle-close'),
      judge: judgeRace,
    },
  ],
});
