// aiohttp #12953: from 3.14.0, reading an already-buffered response body (resp.read()) after the connection
// went back to the keep-alive pool called resume_reading(), which re-armed the sock_read timer on the idle
// pooled connection. The timer fired during the idle gap and stamped a SocketTimeoutError on the
// connection; the next request reused it, was sent, answered 200 by the server, and failed at once. Fixed in
// 3.14.2 (PR #12954, backport #12966): the timer is rescheduled only when resuming a paused transport.
import { defineScenario, serveHttp } from '../../harness/scenario-kit.ts';
import { judgeSockReadRearmed } from './judge.ts';

/** The client's ClientTimeout(sock_read=...) and the idle gap after the first response. */
export const SOCK_READ_SECONDS = 1.0;
export const IDLE_SECONDS = 2.5;

export default defineScenario({
  meta: {
    id: 'aiohttp-sock-read-rearmed',
    title: 'A sock_read timeout does not fire on a keep-alive connection idle in the pool: the next request on it gets its answer',
    status: { aiohttp: 'historic' },
    upstream: {
      issue: 'https://github.com/aio-libs/aiohttp/issues/12953',
      fix: [
        'https://github.com/aio-libs/aiohttp/pull/12954 (master)',
        'https://github.com/aio-libs/aiohttp/pull/12966 (3.14 backport, 3.14.2)',
      ],
    },
    seedClaim: {
      firstFixed: '3.14.2',
      source: 'https://github.com/aio-libs/aiohttp/issues/12953 (a regression in 3.14), fixed by https://github.com/aio-libs/aiohttp/pull/12966 (3.14.2)',
    },
    measured: {
      lastBroken: '3.14.1',
      firstFixed: '3.14.2',
      note: '3.14.0 and 3.14.1 reproduce; 3.13.x never armed the timer on an idle connection (resume_reading ran only on a paused transport)',
    },
    failureSignature:
      'the request after an idle gap raises SocketTimeoutError ("Timeout on reading data from socket") within milliseconds, although the server received it and answered 200; the server then sees the client reset the connection',
  },
  cases: [
    {
      name: 'idle-gap',
      summary: `ClientTimeout(sock_read=${SOCK_READ_SECONDS}); GET, read the body, idle ${IDLE_SECONDS} s, GET again on the pooled connection`,
      timeLimitMs: 20_000,
      unavoidableWaitMs: IDLE_SECONDS * 1000,
      setup: () =>
        // Keep-alive far above the gap: only the client decides what happens to the pooled connection. The
        // gap is 2.5 times sock_read: the re-armed timer (call_later(sock_read)) is due before the sleep ends
        // on the same event loop, however loaded the machine, so the broken release fails every time.
        serveHttp({ app: { keepAliveTimeoutMs: 30_000 } }, ({ app }) => ({
          url: app!.url,
          sockReadSeconds: SOCK_READ_SECONDS,
          idleSeconds: IDLE_SECONDS,
        })),
      judge: judgeSockReadRearmed,
    },
  ],
});
