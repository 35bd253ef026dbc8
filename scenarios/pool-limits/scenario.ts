// httpx #787 (documented by PR #942): pool limits, and how the pool timeout ties in. Checked in every API
// era: the server never sees more than max_connections at once, and a request that cannot get a
// connection raises PoolTimeout after about the pool timeout, not a connect or read timeout.
import { defineScenario, serveHttp } from '../../harness/scenario-kit.ts';
import { judgeLimits } from './judge.ts';

export default defineScenario({
  meta: {
    id: 'pool-limits',
    title: 'Pool limits hold and the pool timeout raises PoolTimeout, in every API era',
    upstream: {
      issue: 'https://github.com/encode/httpx/issues/787',
      fix: ['https://github.com/encode/httpx/pull/942'],
    },
    seedClaim: { firstFixed: '0.13.0', source: 'https://github.com/encode/httpx/issues/787, fixed by https://github.com/encode/httpx/pull/942' },
    measured: {
      lastBroken: 'none found (documentation issue)',
      firstFixed: '0.13.0 (docs); the behaviour holds from 0.10.x on',
      note: 'API eras: PoolLimits(soft_limit, hard_limit) <= 0.12, PoolLimits(max_keepalive, max_connections) 0.13, Limits >= 0.14',
    },
    failureSignature: 'more concurrent connections than max_connections, or a connect/read timeout where PoolTimeout belongs',
  },
  cases: [
    {
      name: 'limits',
      summary: '4 concurrent requests, max_connections=2, server delay 4 s, pool timeout 1 s',
      timeLimitMs: 30_000,
      unavoidableWaitMs: 4000,
      setup: () =>
        serveHttp({ app: { keepAliveTimeoutMs: 60_000 } }, ({ app }) => ({
          url: app!.url,
          tasks: 4,
          maxConnections: 2,
          // The waiters must time out while both connections are busy (until 4 s). httpcore 0.13
          // (httpx 0.18 - 0.20) serialises waiters, so the second raises after 2 s, not 1 s: a 4 s delay
          // keeps a 2 s margin for it on a loaded machine.
          delayMs: 4000,
          // A client without a pool timeout (requests) serves its waiters one delay after the first wave:
          // two delays in all. 2 s each keeps that within the case's 4 s and still leaves every waiter
          // queued behind a busy connection for seconds (the judge wants them no earlier than 1 s).
          blockingDelayMs: 2000,
          poolTimeout: 1.0,
          readTimeout: 10.0,
        })),
      judge: judgeLimits,
    },
  ],
});
