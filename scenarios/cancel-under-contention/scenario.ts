// encode/httpcore #1093: requests cancelled while the pool is contended leave connections the pool never
// reclaims (never connected, never closed), until every slot is taken and each later request raises
// PoolTimeout against a healthy server. Open upstream (PRs #1094, #1099); fixed in the fork by
// pydantic/httpx2#983 (httpcore2 2.6.0).
import { defineScenario, serveHttp } from '../../harness/scenario-kit.ts';
import { judgeContention } from './judge.ts';

export default defineScenario({
  meta: {
    id: 'cancel-under-contention',
    status: 'open-upstream',
    title: 'Cancelling requests under pool contention leaks pool slots until every request raises PoolTimeout',
    upstream: {
      issue: 'https://github.com/encode/httpcore/issues/1093',
      fix: [
        'https://github.com/pydantic/httpx2/pull/983 (httpcore2 2.6.0)',
        'https://github.com/encode/httpcore/pull/1099 (open)',
        'https://github.com/encode/httpcore/pull/1094 (open)',
      ],
    },
    seedClaim: { firstFixed: 'none (live failure)', source: 'https://github.com/encode/httpcore/issues/1093 (open; PRs https://github.com/encode/httpcore/pull/1094 and https://github.com/encode/httpcore/pull/1099 unmerged)' },
    measured: {
      lastBroken: 'httpx 0.28.1 + httpcore 1.0.9 (newest httpx)',
      firstFixed: 'see README version table',
      note: 'open upstream: no httpcore release carries a fix; the fork httpx2 does (2.6.0). Introduced by httpcore 1.0.3 (1.0.2 fixed)',
    },
    failureSignature: 'after cancellations under contention, requests to a healthy server raise PoolTimeout and never reach it',
  },
  cases: [
    {
      name: 'churn',
      summary: '3 rounds of 20 requests on max_connections=10, all cancelled on a seeded schedule; then 5 sequential and 10 concurrent requests',
      timeLimitMs: 45_000,
      unavoidableWaitMs: 2000,
      setup: () =>
        serveHttp({ app: { keepAliveTimeoutMs: 60_000 } }, ({ app }) => ({
          url: app!.url,
          seed: 1093,
          rounds: 3,
          tasks: 20,
          maxConnections: 10,
          // Churn requests are always cancelled long before this; it only keeps the holders holding.
          churnDelayMs: 30_000,
          // A fresh pool reaches the barrier (10 requests at the server) within 0.2 - 2.5 s (loaded machine);
          // a pool that has already leaked slots never does, and the round is cancelled once no request has
          // arrived for barrierQuiet seconds.
          barrierQuiet: 1.5,
          // With no arrival at all yet (24 clients starting at once on 2 cores), wait longer before
          // calling the round quiet: a fresh pool's first holder took over 1.5 s under the self-test's load.
          barrierFirst: 6.0,
          barrierTimeout: 15.0,
          followUps: 5,
          // A free slot is handed over at once; a leaked one never frees, so the wait ends in PoolTimeout
          // however loaded the machine. The capacity requests' server delay (2 s) is longer than the pool
          // timeout, so a request queued behind a live one cannot get its slot in time either.
          poolTimeout: 1.0,
          capacityDelayMs: 2000,
        })),
      judge: judgeContention,
    },
  ],
});
