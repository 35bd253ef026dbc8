import {
  findStep,
  fixed,
  ok200,
  outcomeOf,
  reproduced,
  requestsTo,
  stepsStartingWith,
  unrecognised,
} from '../../harness/scenario-kit.ts';
import type { JudgeInput, Judgement } from '../../harness/types.ts';

export function judgeGather({ client, server, input }: JudgeInput): Judgement {
  const app = server.app;
  const steps = stepsStartingWith(client, 'request-');
  const tasks = Number(input.tasks);
  if (steps.length !== tasks) return unrecognised(`expected ${tasks} request results, got ${steps.length}`);
  const served = requestsTo(app, '/slow/gather-');
  const peak = app?.peakConcurrentConnections ?? 0;
  const poolTimeouts = steps.filter((s) => s.error?.kind === 'pool-timeout');
  if (steps.every(ok200) && served.length === tasks && peak <= Number(input.maxConnections)) {
    const slowest = Math.max(...steps.map((s) => s.elapsed));
    return fixed(
      `all ${tasks} requests got 200 (slowest ${slowest.toFixed(2)} s) over ${app?.connections.length} connection(s), ` +
        `peak ${peak} concurrent for max_connections=${input.maxConnections}`,
    );
  }
  if (poolTimeouts.length && served.length < tasks) {
    return reproduced(
      `${poolTimeouts.length} of ${tasks} requests raised ${outcomeOf(poolTimeouts[0])} although the server answers in ` +
        `${Number(input.delayMs) / 1000} s; the server saw only ${served.length} request(s)`,
    );
  }
  return unrecognised(steps.map((s) => `${s.name}: ${outcomeOf(s)}`).join('; ') + `; server saw ${served.length}`);
}

export function judgeCancel({ client, server, input }: JudgeInput): Judgement {
  const app = server.app;
  const followUp = findStep(client, 'follow-up');
  const cancelled = stepsStartingWith(client, 'cancelled-').filter((s) => s.cancelled).length;
  const reached = requestsTo(app, '/followup').length > 0;
  const inFlight = requestsTo(app, '/slow/cancel-');
  // The failure needs every pool slot held by a request cancelled in flight; with fewer in flight at the
  // server, a free slot would serve the follow-up on any release (a machine too loaded to send them in time).
  if (inFlight.length < Number(input.maxConnections)) {
    return unrecognised(`only ${inFlight.length} request(s) reached the server before the cancel at ${input.cancelAfter} s`);
  }
  const context = `after ${cancelled} request(s) were cancelled by the task group (${inFlight.length} in flight at the server)`;
  if (ok200(followUp) && reached) {
    const cancelledConnections = new Set(inFlight.map((r) => r.connection));
    const fresh = requestsTo(app, '/followup').every((r) => !cancelledConnections.has(r.connection));
    return fixed(`${context}, the follow-up got ${outcomeOf(followUp)}${fresh ? ' on a new connection' : ''}`);
  }
  if (followUp?.error?.kind === 'pool-timeout' && !reached) {
    return reproduced(
      `${context}, the follow-up raised ${outcomeOf(followUp)} (pool timeout ${input.poolTimeout} s) and never reached the server`,
    );
  }
  return unrecognised(`follow-up: ${outcomeOf(followUp)}; reached server: ${reached}`);
}
