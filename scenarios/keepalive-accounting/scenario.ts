// encode/httpcore PR #1000 "Fix max_keepalive_connections": the pool compares max_keepalive_connections
// with the number of all its connections (`len([c.is_idle() for c in connections])` counts every one), so
// an idle connection is closed while the pool is busy even though far fewer than the limit are idle. The
// next request pays for a new TCP connection. Open upstream; in the fork from httpcore2's first release.
import { defineScenario, serveHttp } from '../../harness/scenario-kit.ts';
import { judgeKeepaliveAccounting } from './judge.ts';

export default defineScenario({
  meta: {
    id: 'keepalive-accounting',
    status: 'open-upstream',
    title: 'max_keepalive_connections counts idle connections, not all of them',
    upstream: {
      issue: 'https://github.com/encode/httpcore/pull/1000',
      fix: ['https://github.com/encode/httpcore/pull/1000 (open)', 'httpcore2 2.0.0 ("Inherited from upstream PR encode/httpcore#1000")'],
    },
    seedClaim: { firstFixed: 'none (live failure)', source: 'https://github.com/encode/httpcore/pull/1000 (open)' },
    measured: {
      lastBroken: 'httpx 0.28.1 + httpcore 1.0.9 (newest httpx)',
      firstFixed: 'httpx2 2.0.0 (first release)',
      note: 'open upstream: no httpcore release carries the fix',
    },
    failureSignature: 'the client closes a connection that just went idle (1 idle of 2 allowed) and opens a new one for the next request',
  },
  cases: [
    {
      name: 'busy-pool',
      summary: 'max_keepalive_connections=2, max_connections=4: hold two streams, finish a third, then one more request',
      timeLimitMs: 20_000,
      unavoidableWaitMs: 300,
      setup: () =>
        serveHttp({ app: { keepAliveTimeoutMs: 60_000, maxDelayMs: 15_000 } }, ({ app }) => ({
          url: app!.url,
          maxKeepalive: 2,
          maxConnections: 4,
          chunkEveryMs: 100,
          poolTimeout: 5.0,
          pause: 0.3,
        })),
      judge: judgeKeepaliveAccounting,
    },
  ],
});
