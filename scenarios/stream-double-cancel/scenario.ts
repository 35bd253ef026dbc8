// httpx #3782 / httpcore #1115: a streaming response whose consuming task is cancelled twice (a second
// Task.cancel() while the first cancellation is still closing the response) never gives its connection
// back to the pool. With max_connections=3 the fourth stream raises PoolTimeout. Open upstream.
import { defineScenario, serveHttp } from '../../harness/scenario-kit.ts';
import { judgeDoubleCancel, judgeYieldSweep } from './judge.ts';

export default defineScenario({
  meta: {
    id: 'stream-double-cancel',
    status: 'open-upstream',
    title: 'A stream cancelled twice keeps its pool slot: the fourth stream raises PoolTimeout',
    upstream: {
      issue: 'https://github.com/encode/httpx/issues/3782',
      fix: [
        'https://github.com/encode/httpcore/issues/1115 (open)',
        'https://github.com/encode/httpcore/pull/1116 (open)',
        'https://github.com/encode/httpcore/pull/1113 (open)',
      ],
    },
    seedClaim: { firstFixed: 'none (live failure)', source: 'https://github.com/encode/httpx/issues/3782 (open; https://github.com/encode/httpcore/issues/1115)' },
    measured: {
      lastBroken: 'httpx 0.28.1 + httpcore 1.0.9 (newest httpx)',
      firstFixed: 'see README version table',
      note: 'open upstream: no httpcore release carries a fix',
    },
    failureSignature: 'after 3 double-cancelled streams (max_connections=3) the 4th raises PoolTimeout and never reaches the server',
  },
  cases: [
    {
      name: 'double-cancel',
      summary: '4 rounds: stream an endless body, cancel the consumer, sleep(0), cancel again; max_connections=3',
      timeLimitMs: 30_000,
      unavoidableWaitMs: 500,
      setup: () =>
        serveHttp({ app: { keepAliveTimeoutMs: 60_000, maxDelayMs: 25_000 } }, ({ app }) => ({
          url: app!.url,
          rounds: 4,
          maxConnections: 3,
          chunkEveryMs: 50,
          gap: 1,
          // Round 4 waits this long for a slot; a released slot is handed over at once, a leaked one never.
          poolTimeout: 2.0,
          firstChunkTimeout: 10.0,
          settle: 0.1,
          linger: 0.5,
        })),
      judge: judgeDoubleCancel,
    },
    {
      name: 'yield-sweep',
      summary: 'for 0-6 yields between the two cancels: a fresh client, max_connections=1, one double-cancelled stream, then a second stream',
      timeLimitMs: 40_000,
      unavoidableWaitMs: 1000,
      setup: () =>
        serveHttp({ app: { keepAliveTimeoutMs: 60_000, maxDelayMs: 35_000 } }, ({ app }) => ({
          url: app!.url,
          gaps: 6,
          chunkEveryMs: 50,
          poolTimeout: 1.0,
          firstChunkTimeout: 10.0,
          settle: 0.1,
          linger: 0.5,
        })),
      judge: judgeYieldSweep,
    },
  ],
});
