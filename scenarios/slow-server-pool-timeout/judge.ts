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
  const inFlight = requestsTo(app, '/slow/cancel-').length;
  // The failure needs requests cancelled while in flight; if none reached the server before the cancel,
  // the case did not set up what it tests (a machine too loaded to send them in time).
  if (inFlight === 0) return unrecognised(`no request reached the server before the cancel at ${input.cancelAfter} s`);
  const context = `after ${cancelled} request(s) were cancelled by the task group (${inFlight} in flight at the server)`;
  if (ok200(followUp) && reached) {
    return fixed(`${context}, the follow-up got ${outcomeOf(followUp)} on a new connection`);
  }
  if (followUp?.error?.kind === 'pool-timeout' && !reached) {
    return reproduced(
      `${context}, the follow-up raised ${outcomeOf(followUp)} (pool timeout ${input.poolTimeout} s) and never reached the server`,
    );
  }
  return unrecognised(`follow-up: ${outcomeOf(followUp)}; reached server: ${reached}`);
}
