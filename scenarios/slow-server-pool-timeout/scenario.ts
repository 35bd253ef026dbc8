// httpx #1171: PoolTimeout when more requests than max_connections wait on a slow server (gather), and
// the 2023 variant the issue was closed on: requests cancelled in flight by an anyio task group leave
// stale entries in the pool, so the next request never gets a connection (cancel).
import { defineScenario, serveHttp } from '../../harness/scenario-kit.ts';
import { judgeCancel, judgeGather } from './judge.ts';

export default defineScenario({
  meta: {
    id: 'slow-server-pool-timeout',
    title: 'PoolTimeout against a slow server: queued requests (gather) and cancelled requests (cancel)',
    upstream: {
      issue: 'https://github.com/encode/httpx/issues/1171',
      fix: ['https://github.com/encode/httpcore/pull/880 (cancel: httpcore 1.0.3)', 'httpcore 0.14.0 pool rewrite (gather: httpx 0.21.0)'],
    },
    seedClaim: { firstFixed: '0.13.0', source: 'https://github.com/encode/httpx/issues/1171, fixed by https://github.com/encode/httpcore/pull/880' },
    measured: {
      lastBroken: 'gather: httpx 0.20.0; cancel: httpx 0.26.0 + httpcore 1.0.2',
      firstFixed: 'gather: httpx 0.21.0; cancel: httpcore 1.0.3',
    },
    failureSignature: 'httpx.PoolTimeout although the server answers well within the pool timeout',
  },
  cases: [
    {
      name: 'gather',
      summary: '4 concurrent requests, max_connections=2, server delay 1 s, pool timeout 4 s',
      timeLimitMs: 30_000,
      unavoidableWaitMs: 2000,
      setup: () =>
        serveHttp({ app: { keepAliveTimeoutMs: 60_000 } }, ({ app }) => ({
          url: app!.url,
          tasks: 4,
          maxConnections: 2,
          delayMs: 1000,
          // Pool timeout well above the server delay: a waiter that is handed a freed connection
          // finishes at ~2 s; only a pool that never hands it one times out (at 4 s).
          poolTimeout: 4.0,
          readTimeout: 10.0,
        })),
      judge: judgeGather,
    },
    {
      name: 'cancel',
      summary: '5 requests cancelled in flight by an anyio task group, then one more request',
      timeLimitMs: 30_000,
      unavoidableWaitMs: 500,
      setup: () =>
        serveHttp({ app: { keepAliveTimeoutMs: 60_000 } }, ({ app }) => ({
          url: app!.url,
          tasks: 5,
          maxConnections: 2,
          delayMs: 10_000,
          cancelAfter: 0.5,
          poolTimeout: 3.0,
          readTimeout: 10.0,
        })),
      judge: judgeCancel,
    },
  ],
});
