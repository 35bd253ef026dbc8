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
export function judgeLimits(judged: JudgeInput): Judgement {
  // A client that has no pool timeout to set (requests) says so: its waiters must wait, not be refused.
  if (judged.client.facts.pool_timeout_unsupported) return judgeBlockingLimits(judged);
  const { client, server, input } = judged;
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

/**
 * The same limit for a client without a pool timeout (requests: HTTPAdapter(pool_maxsize=N, pool_block=True)
 * never passes urllib3's pool_timeout): the server never sees more than max_connections at once, and every
 * request is served, the ones past the limit only once a busy connection has freed up (the server's clock:
 * one server delay after the first arrivals). More connections at once is `reproduced` (pool_block not
 * applied); a waiter that failed, or was served before any connection could free up, is not this contract.
 */
export function judgeBlockingLimits({ client, server, input }: JudgeInput): Judgement {
  const app = server.app;
  const max = Number(input.maxConnections);
  const tasks = Number(input.tasks);
  const delay = Number(input.blockingDelayMs ?? input.delayMs) / 1000;
  const saw = serverSaw(app);
  const steps = stepsStartingWith(client, 'request-');
  if (steps.length !== tasks) return unrecognised(`expected ${tasks} request results, got ${steps.length}; ${saw}`);
  const peak = app?.peakConcurrentConnections ?? 0;
  if (peak > max) return reproduced(`${peak} connections open at once for pool_maxsize=${max} with pool_block=True; ${saw}`);
  const failed = steps.filter((s) => !ok200(s));
  if (failed.length) return unrecognised(`${failed.map((s) => `${s.name}: ${outcomeOf(s)}`).join('; ')} (no pool timeout was set); ${saw}`);
  const arrivals = requestsTo(app, '/slow/').map((r) => r.at).sort((a, b) => a - b);
  if (arrivals.length !== tasks) return unrecognised(`the server received ${arrivals.length} of ${tasks} requests; ${saw}`);
  // The first wave is max requests; the rest can only start on a connection a first-wave request freed,
  // one server delay later (half of it is the margin for a loaded machine: earlier is impossible at this peak).
  const first = arrivals[0]!;
  const waited = arrivals.slice(max).map((at) => (at - first) / 1000);
  const early = waited.find((w) => w < delay * 0.5);
  if (early !== undefined) return unrecognised(`a request past the limit reached the server ${early.toFixed(2)} s after the first, before a connection could free up; ${saw}`);
  return fixed(
    `${client.facts.configured_with ?? `pool_maxsize=${max}`}: at most ${peak} connection(s) at once; all ${tasks} served, ` +
      `the ${tasks - max} past the limit waited for a connection and reached the server ${waited.map((w) => w.toFixed(2)).join(', ')} s after the first ` +
      `(server delay ${delay} s; the client has no pool timeout); ${saw}`,
  );
}
