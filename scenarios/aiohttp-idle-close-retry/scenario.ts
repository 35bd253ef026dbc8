// aiohttp #7297: when the server had closed a kept-alive connection just as the client reused it, aiohttp
// raised ServerDisconnectedError for every request. 3.10.0 (PR #7363) retries an idempotent request once on a
// new connection, and must still not replay a non-idempotent one (a POST the server may already have acted
// on). The race is made deterministic: the server answers the first request on a connection and closes the
// connection, unanswered, once it has read the next one whole.
import { defineScenario, dropAfterFirst, serveHttp } from '../../harness/scenario-kit.ts';
import { judgeIdleCloseGet, judgeIdleClosePost } from './judge.ts';

/** The POST body: its exact size tells a replayed POST's record from anything else. */
export const POST_BYTES = 1234;

const server = (method: 'GET' | 'POST') => () =>
  serveHttp({ app: { keepAliveTimeoutMs: 30_000, faults: { routes: { '/idle': dropAfterFirst('fin') } } } }, ({ app }) => ({
    url: app!.url,
    method,
    postBytes: POST_BYTES,
  }));

export default defineScenario({
  meta: {
    id: 'aiohttp-idle-close-retry',
    title: 'A kept-alive connection the server closed as it was reused: GET retried on a new connection, POST not replayed',
    status: { aiohttp: 'historic' },
    upstream: {
      issue: 'https://github.com/aio-libs/aiohttp/issues/7297',
      fix: ['https://github.com/aio-libs/aiohttp/pull/7363 (3.10.0)'],
    },
    seedClaim: {
      firstFixed: '3.10.0',
      source: 'https://github.com/aio-libs/aiohttp/issues/7297 (ServerDisconnectedError on a reused connection), retried from 3.10.0 by https://github.com/aio-libs/aiohttp/pull/7363',
    },
    measured: {
      lastBroken: '3.9.5',
      firstFixed: '3.10.0',
      note: 'the POST is never replayed, on any release measured (3.9.5 - 3.14.5): it raises ServerDisconnectedError',
    },
    failureSignature: 'the GET on the reused connection raises ServerDisconnectedError; the server saw it once, on the kept-alive connection, and no retry',
  },
  cases: [
    {
      name: 'get',
      summary: 'GET answered, then GET on the kept-alive connection, which the server closes unanswered: retried on a new connection?',
      timeLimitMs: 20_000,
      unavoidableWaitMs: 0,
      setup: server('GET'),
      judge: judgeIdleCloseGet,
    },
    {
      name: 'post',
      summary: `GET answered, then a ${POST_BYTES}-byte POST on the kept-alive connection, which the server closes unanswered: never replayed`,
      timeLimitMs: 20_000,
      unavoidableWaitMs: 0,
      // What every release must do: a POST is not idempotent, so no release may send it again.
      control: true,
      setup: server('POST'),
      judge: judgeIdleClosePost,
    },
  ],
});
