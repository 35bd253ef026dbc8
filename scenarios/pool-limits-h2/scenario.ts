// httpx #787 over HTTP/2 (issue 8, item 6): pool limits when a connection carries several streams.
import { serveH2 } from '../../harness/h2-kit.ts';
import { defineScenario } from '../../harness/scenario-kit.ts';
import { judgeH2Limits } from './judge.ts';

const MAX_CONCURRENT_STREAMS = 2;

export default defineScenario({
  meta: {
    id: 'pool-limits-h2',
    requires: { extras: { httpx: ['http2'], httpx2: ['http2'] } },
    title: 'Pool limits over HTTP/2: connections and streams stay within their limits',
    upstream: {
      issue: 'https://github.com/encode/httpx/issues/787',
      fix: ['https://github.com/encode/httpx/pull/942'],
    },
    seedClaim: { firstFixed: '0.13.0 (docs)', source: 'https://github.com/encode/httpx/issues/787, fixed by https://github.com/encode/httpx/pull/942 (documented limits)' },
    measured: { lastBroken: 'see README', firstFixed: 'see README' },
    failureSignature:
      'more TCP connections than max_connections, more concurrent streams on a connection than the server allows, or a connect/read timeout where PoolTimeout belongs',
  },
  cases: [
    {
      name: 'h2-limits',
      summary: `6 concurrent requests, max_connections=2, server SETTINGS_MAX_CONCURRENT_STREAMS=${MAX_CONCURRENT_STREAMS}, delay 1.5 s, pool timeout 1 s`,
      timeLimitMs: 30_000,
      unavoidableWaitMs: 4500,
      setup: async ({ certs }) => {
        const set = await certs();
        return serveH2({ h2: { tls: set.trusted, maxConcurrentStreams: MAX_CONCURRENT_STREAMS } }, ({ h2 }) => ({
          url: h2!.url,
          caFile: set.ca.certPath,
          tasks: 6,
          maxConnections: 2,
          maxConcurrentStreams: MAX_CONCURRENT_STREAMS,
          // 1.5 s: past the 1 s pool timeout with room to spare, and short enough that the queued case
          // (3 rounds of 2 streams, 4.5 s) stays under the gate's 6 s keep-alive floor.
          delayMs: 1500,
          poolTimeout: 1.0,
          readTimeout: 10.0,
          // Past every expected completion: 6 requests, 2 streams at a time, 1.5 s each = 4.5 s when queued.
          deadline: 15.0,
        }));
      },
      judge: judgeH2Limits,
    },
  ],
});
