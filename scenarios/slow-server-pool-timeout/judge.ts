import {
  findStep,
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
 * gather asserts: with more requests than max_connections against a server that answers in 1 s, every
 * request is served (a freed connection goes to a waiter) and never more than max_connections are open.
 * Violations, each `reproduced`: a PoolTimeout although the server answers well within the pool timeout
 * (the #1171 signature), or more connections open at once than the limit.
 */
export function judgeGather({ client, server, input }: JudgeInput): Judgement {
  const app = server.app;
  const saw = serverSaw(app);
  const steps = stepsStartingWith(client, 'request-');
  const tasks = Number(input.tasks);
  const max = Number(input.maxConnections);
  if (steps.length !== tasks) return unrecognised(`expected ${tasks} request results, got ${steps.length}; ${saw}`);
  const served = requestsTo(app, '/slow/gather-');
  const peak = app?.peakConcurrentConnections ?? 0;
  if (peak > max) return reproduced(`${peak} connections open at once for max_connections=${max}; ${saw}`);
  const poolTimeouts = steps.filter((s) => s.error?.kind === 'pool-timeout');
  // The verdict assumes the server freed a slot well within the pool timeout; a fixture too stalled to
  // answer in time says nothing about the client.
  const firstArrival = Math.min(...served.map((r) => r.at));
  const firstAnswer = Math.min(...served.flatMap((r) => (r.respondedAt !== undefined ? [r.respondedAt] : [])));
  if (poolTimeouts.length && served.length && firstAnswer - firstArrival > (Number(input.poolTimeout) - 1) * 1000) {
    return unrecognised(`the server answered its first request only ${((firstAnswer - firstArrival) / 1000).toFixed(2)} s after it arrived (machine stall); ${saw}`);
  }
  if (poolTimeouts.length) {
    return reproduced(
      `${poolTimeouts.length} of ${tasks} requests raised ${outcomeOf(poolTimeouts[0])} although the server answers in ` +
        `${Number(input.delayMs) / 1000} s (pool timeout ${input.poolTimeout} s); ${saw}`,
    );
  }
  if (steps.every(ok200) && served.length === tasks) {
    const slowest = Math.max(...steps.map((s) => s.elapsed));
    return fixed(`all ${tasks} requests got 200 (slowest ${slowest.toFixed(2)} s) for max_connections=${max}; ${saw}`);
  }
  return unrecognised(`${steps.map((s) => `${s.name}: ${outcomeOf(s)}`).join('; ')}; ${saw}`);
}

/**
 * cancel asserts: after requests holding every pool slot are cancelled in flight, the next request gets a
 * connection and is served. Violations, each `reproduced`: the follow-up raises PoolTimeout (stale pool
 * entries, the 2023 signature), or the client raises although the server answered the follow-up.
 */
export function judgeCancel({ client, server, input }: JudgeInput): Judgement {
  const app = server.app;
  const saw = serverSaw(app);
  const max = Number(input.maxConnections);
  const followUp = findStep(client, 'follow-up');
  const cancelled = stepsStartingWith(client, 'cancelled-').filter((s) => s.cancelled).length;
  const followUps = requestsTo(app, '/followup');
  const reached = followUps.length > 0;
  const inFlight = requestsTo(app, '/slow/cancel-');
  // No connection-count check here: cancelled connections close while the follow-up connects, so the
  // server may see them overlap by a moment on any release; gather and pool-limits check the limit.
  // The failure needs every pool slot held by a request cancelled in flight; with fewer in flight at the
  // server, a free slot would serve the follow-up on any release (a machine too loaded to send them in time).
  if (inFlight.length < max) {
    return unrecognised(`only ${inFlight.length} request(s) reached the server before the cancel at ${input.cancelAfter} s; ${saw}`);
  }
  const context = `after ${cancelled} request(s) were cancelled by the task group (${inFlight.length} in flight at the server)`;
  if (ok200(followUp) && reached) {
    const cancelledConnections = new Set(inFlight.map((r) => r.connection));
    const fresh = followUps.every((r) => !cancelledConnections.has(r.connection));
    return fixed(`${context}, the follow-up got ${outcomeOf(followUp)}${fresh ? ' on a new connection' : ''}; ${saw}`);
  }
  if (followUp?.error?.kind === 'pool-timeout' && !reached) {
    return reproduced(`${context}, the follow-up raised ${outcomeOf(followUp)} (pool timeout ${input.poolTimeout} s) and never reached the server; ${saw}`);
  }
  if (followUp && !followUp.ok && followUps.some((r) => r.respondedAt !== undefined)) {
    return reproduced(`${context}, the server answered the follow-up but the client raised ${outcomeOf(followUp)}; ${saw}`);
  }
  return unrecognised(`follow-up: ${outcomeOf(followUp)}; reached server: ${reached}; ${saw}`);
}
