// A user scenario built from the fault vocabulary alone (no server code): httpx #1171's slow server, the
// seed's hypercorn app that sleeps before answering, is a `delay` fault on a route of the stock fixture.
// More concurrent requests than max_connections must all be served once connections free up; the
// broken releases (httpx <= 0.20.0, httpcore 0.13's pool) raise PoolTimeout instead.
// Its imports go through the scenario kit only, so the folder can live in any project.
import { defineScenario, delay, serveHttp } from 'regress/kit';
import { judgeGather } from './judge.ts';

export default defineScenario({
  meta: {
    id: 'slow-server-from-faults',
    title: 'PoolTimeout against a slow server (httpx #1171), the server made of a delay fault',
    upstream: {
      issue: 'https://github.com/encode/httpx/issues/1171',
      fix: ['httpcore 0.14.0 pool rewrite (httpx 0.21.0)'],
    },
    seedClaim: { firstFixed: '0.13.0', source: 'https://github.com/encode/httpx/issues/1171, fixed by https://github.com/encode/httpcore/pull/880' },
    measured: { lastBroken: 'httpx 0.20.0', firstFixed: 'httpx 0.21.0' },
    failureSignature: 'httpx.PoolTimeout although the server answers well within the pool timeout',
  },
  cases: [
    {
      name: 'gather',
      summary: '4 concurrent requests, max_connections=2, every /slow request delayed 1 s by a fault, pool timeout 4 s',
      timeLimitMs: 30_000,
      unavoidableWaitMs: 2000,
      setup: () =>
        serveHttp({ app: { keepAliveTimeoutMs: 60_000, faults: { routes: { '/slow': delay(1000) } } } }, ({ app }) => ({
          url: app!.url,
          tasks: 4,
          maxConnections: 2,
          delayMs: 1000,
          // Well above the delay: a waiter handed a freed connection finishes at ~2 s; only a pool that
          // never hands it one times out, at 4 s.
          poolTimeout: 4.0,
          readTimeout: 10.0,
        })),
      judge: judgeGather,
    },
  ],
});
