import {
  faultsOf,
  fixed,
  type JudgeInput,
  type Judgement,
  ok200,
  outcomeOf,
  reproduced,
  requestsTo,
  serverSaw,
  stepsStartingWith,
  unrecognised,
} from 'regress/kit';

/**
 * Asserts: with more requests than max_connections against a route that answers after 1 s, every request
 * is served (a freed connection goes to a waiter) over at most max_connections connections. Violations,
 * each `reproduced`: a PoolTimeout although the server answers well within the pool timeout (the #1171
 * signature), or more connections open at once than the limit. Every request the server saw must have met
 * the delay fault (the tracker's fault records); otherwise the fixture did not do its part: an error.
 */
export function judgeGather({ client, server, input }: JudgeInput): Judgement {
  const app = server.app;
  const saw = serverSaw(app);
  const steps = stepsStartingWith(client, 'request-');
  const tasks = Number(input.tasks);
  const max = Number(input.maxConnections);
  if (steps.length !== tasks) return unrecognised(`expected ${tasks} request results, got ${steps.length}; ${saw}`);
  const served = requestsTo(app, '/slow');
  const delays = faultsOf(app, 'delay');
  if (delays.length !== served.length) return unrecognised(`${served.length} request(s) reached /slow but the delay fault hit ${delays.length}; ${saw}`);
  const faultNote = `the delay fault hit ${delays.length} request(s) on connection(s) ${[...new Set(delays.map((f) => f.connection))].join(', ') || 'none'}`;
  const peak = app?.peakConcurrentConnections ?? 0;
  if (peak > max) return reproduced(`${peak} connections open at once for max_connections=${max}; ${faultNote}; ${saw}`);
  const poolTimeouts = steps.filter((s) => s.error?.kind === 'pool-timeout');
  // A fixture too stalled to answer its first request well within the pool timeout says nothing about the client.
  const answers = served.flatMap((r) => (r.respondedAt !== undefined ? [r.respondedAt - r.at] : []));
  if (poolTimeouts.length && answers.length && Math.min(...answers) > (Number(input.poolTimeout) - 1) * 1000) {
    return unrecognised(`the server's fastest answer took ${(Math.min(...answers) / 1000).toFixed(2)} s (machine stall); ${saw}`);
  }
  if (poolTimeouts.length) {
    return reproduced(
      `${poolTimeouts.length} of ${tasks} requests raised ${outcomeOf(poolTimeouts[0])} although the server answers in ` +
        `${Number(input.delayMs) / 1000} s (pool timeout ${input.poolTimeout} s); ${faultNote}; ${saw}`,
    );
  }
  if (steps.every(ok200) && served.length === tasks) {
    const slowest = Math.max(...steps.map((s) => s.elapsed));
    return fixed(`all ${tasks} requests got 200 (slowest ${slowest.toFixed(2)} s) for max_connections=${max}; ${faultNote}; ${saw}`);
  }
  return unrecognised(`${steps.map((s) => `${s.name}: ${outcomeOf(s)}`).join('; ')}; ${saw}`);
}
