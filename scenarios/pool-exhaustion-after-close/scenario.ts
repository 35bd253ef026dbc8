// httpx #720: closing a client did not release the pool's connection permits, so re-entering
// `async with` on one client ran out of permits after hard_limit cycles (PoolTimeout).
import { defineScenario, serveHttp } from '../../harness/scenario-kit.ts';
import { judgeCycles } from './judge.ts';

export const CYCLES = 4;
export const HARD_LIMIT = 2;

export default defineScenario({
  meta: {
    id: 'pool-exhaustion-after-close',
    title: 'Re-entering one AsyncClient leaks pool permits until PoolTimeout',
    upstream: {
      issue: 'https://github.com/encode/httpx/issues/720',
      fix: ['https://github.com/encode/httpx/pull/721'],
    },
    seedClaim: { firstFixed: '0.13.0', source: 'https://github.com/encode/httpx/issues/720, fixed by https://github.com/encode/httpx/pull/721' },
    measured: {
      lastBroken: '0.10.1',
      firstFixed: '0.11.0',
      note: 'httpx >= 0.19 refuses to reopen a closed client (RuntimeError); the documented pattern, a new client per cycle, is judged there.',
    },
    failureSignature: 'PoolTimeout after hard_limit `async with client` cycles; later cycles never reach the server',
  },
  cases: [
    {
      name: 'reenter',
      summary: `${CYCLES} cycles of \`async with client\` on one client with hard limit ${HARD_LIMIT}`,
      timeLimitMs: 30_000,
      unavoidableWaitMs: 1000,
      setup: () =>
        // Keep-alive far longer than the run, so only the client decides when sockets close.
        serveHttp({ app: { keepAliveTimeoutMs: 60_000 } }, ({ app }) => ({
          url: app!.url,
          cycles: CYCLES,
          hardLimit: HARD_LIMIT,
          poolTimeout: 1.0,
          // After the last cycle the client lets its event loop close transports (settle), sets the
          // `linger` mark on the server clock, and stays alive: a socket the client closed on leaving
          // `async with` closed before the mark; a leaked one closes only at the process exit, 1 s later.
          settle: 0.25,
          linger: 1.0,
        })),
      judge: judgeCycles,
    },
  ],
});
