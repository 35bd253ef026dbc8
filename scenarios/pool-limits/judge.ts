import {
  fixed,
  ok200,
  outcomeOf,
  reproduced,
  requestsTo,
  stepsStartingWith,
  unrecognised,
} from '../../harness/scenario-kit.ts';
import type { JudgeInput, Judgement } from '../../harness/types.ts';

export function judgeLimits({ client, server, input }: JudgeInput): Judgement {
  const app = server.app;
  const max = Number(input.maxConnections);
  const tasks = Number(input.tasks);
  const delay = Number(input.delayMs) / 1000;
  const pool = Number(input.poolTimeout);
  const steps = stepsStartingWith(client, 'request-');
  if (steps.length !== tasks) return unrecognised(`expected ${tasks} request results, got ${steps.length}`);
  const peak = app?.peakConcurrentConnections ?? 0;
  if (peak > max) return reproduced(`the server saw ${peak} concurrent connections for max_connections=${max}`);

  const served = steps.filter(ok200);
  const waiters = steps.filter((s) => !ok200(s));
  // The documented failure: a waiter that gets a connect or read timeout instead of PoolTimeout.
  const wrongTimeout = waiters.filter((s) => ['connect-timeout', 'read-timeout', 'timeout'].includes(s.error?.kind ?? ''));
  if (wrongTimeout.length) {
    return reproduced(`a request that could not get a connection raised ${outcomeOf(wrongTimeout[0])}, not PoolTimeout`);
  }
  const otherError = waiters.find((s) => s.error?.kind !== 'pool-timeout');
  if (otherError) return unrecognised(`a waiting request raised ${outcomeOf(otherError)}`);
  // "After about the pool timeout": never before it ...
  const early = waiters.find((s) => s.elapsed < pool - 0.05);
  if (early) return reproduced(`PoolTimeout after ${early.elapsed.toFixed(2)} s, before the ${pool} s pool timeout`);
  // ... and before a busy connection could have freed up; later than that is a stalled machine, not a verdict.
  const late = waiters.find((s) => s.elapsed >= delay);
  if (late) return unrecognised(`PoolTimeout only after ${late.elapsed.toFixed(2)} s, past the ${delay} s server delay`);
  if (served.length === max && waiters.length === tasks - max && requestsTo(app, '/slow/').length === max) {
    const times = waiters.map((s) => s.elapsed.toFixed(2)).join(', ');
    return fixed(
      `peak ${peak} concurrent connection(s) for max_connections=${max}; ${served.length} served, ` +
        `${waiters.length} raised PoolTimeout after ${times} s (pool timeout ${pool} s, server delay ${delay} s)`,
    );
  }
  return unrecognised(steps.map((s) => `${s.name}: ${outcomeOf(s)}`).join('; '));
}
