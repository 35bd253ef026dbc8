import {
  fixed,
  ok200,
  outcomeOf,
  reproduced,
  requestsTo,
  serverSaw,
  stepsStartingWith,
  unrecognised,
} from '../../harness/scenario-kit.ts';
import type { JudgeInput, Judgement } from '../../harness/types.ts';

/**
 * What the case asserts: the server never sees more than max_connections at once, and a request that
 * cannot get a connection raises PoolTimeout after about the pool timeout. Violations, each `reproduced`:
 * more connections than the limit; a waiter that got a connect or read timeout instead (the #787
 * signature); a PoolTimeout before the pool timeout; a waiter that was never refused but served long past
 * its pool timeout (the timeout ignored), as the server's clock shows.
 */
export function judgeLimits({ client, server, input }: JudgeInput): Judgement {
  const app = server.app;
  const max = Number(input.maxConnections);
  const tasks = Number(input.tasks);
  const delay = Number(input.delayMs) / 1000;
  const pool = Number(input.poolTimeout);
  const saw = serverSaw(app);
  const steps = stepsStartingWith(client, 'request-');
  if (steps.length !== tasks) return unrecognised(`expected ${tasks} request results, got ${steps.length}; ${saw}`);
  const peak = app?.peakConcurrentConnections ?? 0;
  if (peak > max) return reproduced(`${peak} connections open at once for max_connections=${max}; ${saw}`);

  const served = steps.filter(ok200);
  const waiters = steps.filter((s) => !ok200(s));
  // The documented failure: a waiter that gets a connect or read timeout instead of PoolTimeout.
  const wrongTimeout = waiters.filter((s) => ['connect-timeout', 'read-timeout', 'timeout'].includes(s.error?.kind ?? ''));
  if (wrongTimeout.length) {
    return reproduced(`a request that could not get a connection raised ${outcomeOf(wrongTimeout[0])}, not PoolTimeout; ${saw}`);
  }
  // "After about the pool timeout": never before it ...
  const early = waiters.find((s) => s.error?.kind === 'pool-timeout' && s.elapsed < pool - 0.05);
  if (early) return reproduced(`PoolTimeout after ${early.elapsed.toFixed(2)} s, before the ${pool} s pool timeout; ${saw}`);
  // A request the server received only after a busy connection freed up (the server's delay after the
  // first requests) had waited in the pool past its timeout without being refused.
  const arrivals = requestsTo(app, '/slow/').map((r) => r.at).sort((a, b) => a - b);
  const first = arrivals[0];
  const lateArrivals = first === undefined ? [] : arrivals.filter((at) => at - first >= (pool + delay) * 500);
  if (lateArrivals.length) {
    const waited = ((lateArrivals[0]! - first!) / 1000).toFixed(2);
    return reproduced(
      `${lateArrivals.length} request(s) were served instead of raising PoolTimeout: the server received them ${waited} s after the first, ` +
        `past the ${pool} s pool timeout; ${saw}`,
    );
  }
  const otherError = waiters.find((s) => s.error?.kind !== 'pool-timeout');
  if (otherError) return unrecognised(`a waiting request raised ${outcomeOf(otherError)}; ${saw}`);
  // ... and before a busy connection could have freed up; later than that is a stalled machine, not a verdict.
  const late = waiters.find((s) => s.elapsed >= delay);
  if (late) return unrecognised(`PoolTimeout only after ${late.elapsed.toFixed(2)} s, past the ${delay} s server delay; ${saw}`);
  if (served.length === max && waiters.length === tasks - max && requestsTo(app, '/slow/').length === max) {
    const times = waiters.map((s) => s.elapsed.toFixed(2)).join(', ');
    return fixed(
      `${served.length} served, ${waiters.length} raised PoolTimeout after ${times} s (pool timeout ${pool} s, server delay ${delay} s); ` +
        `max_connections=${max}; ${saw}`,
    );
  }
  return unrecognised(`${steps.map((s) => `${s.name}: ${outcomeOf(s)}`).join('; ')}; ${saw}`);
}
