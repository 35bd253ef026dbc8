// httpx #1395: the keep-alive expiry was hard-coded to 5 s, so an idle connection was dropped however long
// the server keeps it. Fixed in 0.17.0 by Limits(keepalive_expiry=...). The server here keeps idle
// connections for 60 s; the client idles 6 s between two requests, once with the default client and once
// configured for a 30 s keep-alive as far as the release allows.
import { defineScenario, serveHttp } from '../../harness/scenario-kit.ts';
import { judgeIdleGap, judgeKeepaliveBoundary, judgeShortExpiry } from './judge.ts';

export default defineScenario({
  meta: {
    id: 'keepalive-expiry',
    title: 'Keep-alive expiry can be configured: an idle connection survives a gap the server allows, a short expiry ends it, max_keepalive holds',
    upstream: {
      issue: 'https://github.com/encode/httpx/issues/1395',
      fix: ['https://github.com/encode/httpx/pull/1398'],
    },
    seedClaim: { firstFixed: '0.17.0', source: 'https://github.com/encode/httpx/issues/1395, fixed by https://github.com/encode/httpx/pull/1398' },
    measured: {
      lastBroken: '0.16.1',
      firstFixed: '0.17.0',
      note: 'not monotonic: 0.13.0 - 0.13.2 passed no expiry to httpcore, so connections never expired there',
    },
    failureSignature: 'a new TCP connection after ~5 s idle although the server keeps the connection open',
  },
  cases: [
    {
      name: 'idle-gap',
      summary: 'two requests 6 s apart; server keep-alive 60 s; client asks for keepalive_expiry=30',
      timeLimitMs: 40_000,
      unavoidableWaitMs: 6000,
      setup: () =>
        // 6 s idle is past the 5 s default by 1 s; the expiry is checked lazily when the next request
        // starts, so the gap can only grow under load, never shrink. 30 s and 60 s leave wide margins.
        serveHttp({ app: { keepAliveTimeoutMs: 60_000 } }, ({ app }) => ({
          url: app!.url,
          idleSeconds: 6.0,
          keepaliveExpiry: 30.0,
        })),
      judge: judgeIdleGap,
    },
    {
      name: 'short-expiry',
      summary: 'keepalive_expiry=1, two requests 3 s apart; server keep-alive 60 s: the idle connection must not be reused',
      timeLimitMs: 30_000,
      unavoidableWaitMs: 3000,
      setup: () =>
        // 3 s idle is three times the 1 s expiry; load only lengthens the gap. The server would keep the
        // connection 60 s, so only the client's expiry can end it.
        serveHttp({ app: { keepAliveTimeoutMs: 60_000 } }, ({ app }) => ({
          url: app!.url,
          idleSeconds: 3.0,
          keepaliveExpiry: 1.0,
        })),
      judge: judgeShortExpiry,
    },
    {
      name: 'keepalive-boundary',
      summary: '4 concurrent requests on 4 connections, max_keepalive_connections=2: exactly 2 stay open once all are idle',
      timeLimitMs: 30_000,
      unavoidableWaitMs: 1500,
      setup: () =>
        // Each answer is held 1.5 s, so the 4 requests overlap even on a loaded machine and need 4
        // connections (max_connections 8 allows them). The mark comes 0.5 s after the last answer, well
        // inside every expiry (30 s where it can be set, the 5 s default before 0.17).
        serveHttp({ app: { keepAliveTimeoutMs: 60_000 } }, ({ app }) => ({
          url: app!.url,
          tasks: 4,
          maxConnections: 8,
          maxKeepalive: 2,
          keepaliveExpiry: 30.0,
          delayMs: 1500,
          settleSeconds: 0.5,
        })),
      judge: judgeKeepaliveBoundary,
    },
  ],
});
