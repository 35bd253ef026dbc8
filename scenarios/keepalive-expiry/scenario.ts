// httpx #1395: the keep-alive expiry was hard-coded to 5 s, so an idle connection was dropped however long
// the server keeps it. Fixed in 0.17.0 by Limits(keepalive_expiry=...). The server here keeps idle
// connections for 60 s; the client idles 6 s between two requests, once with the default client and once
// configured for a 30 s keep-alive as far as the release allows.
import { defineScenario, serveHttp } from '../../harness/scenario-kit.ts';
import { judgeIdleGap } from './judge.ts';

export default defineScenario({
  meta: {
    id: 'keepalive-expiry',
    title: 'Keep-alive expiry can be configured, so an idle connection survives a gap the server allows',
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
  ],
});
