import { fixed, ok200, outcomeOf, reproduced, requestsTo, stepsStartingWith, unrecognised } from '../../harness/scenario-kit.ts';
import type { ClientStep, JudgeInput, Judgement } from '../../harness/types.ts';

export function judgeContention({ client, server, input }: JudgeInput): Judgement {
  const app = server.app;
  const max = Number(input.maxConnections);
  const rounds = Number(input.rounds);
  const tasks = Number(input.tasks);
  const followUps = stepsStartingWith(client, 'follow-up-');
  const capacity = stepsStartingWith(client, 'capacity-');
  const churn = stepsStartingWith(client, 'churn-');
  if (churn.length !== rounds * tasks || followUps.length !== Number(input.followUps) || capacity.length !== max) {
    return unrecognised(`expected ${rounds * tasks} churn, ${input.followUps} follow-up and ${max} capacity results; got ${churn.length}, ${followUps.length}, ${capacity.length}`);
  }
  // Every churn request must end by the schedule's cancellation: one that ended otherwise (a server answer
  // after a 30 s stall, a connect error) means the schedule did not run as written.
  const notCancelled = churn.filter((s) => !s.cancelled);
  if (notCancelled.length) return unrecognised(`churn request ${notCancelled[0]!.name} was not cancelled: ${outcomeOf(notCancelled[0])}`);

  // Round 1 starts on a fresh pool: every slot must be held at the server before the cancellation, or
  // the schedule did not run at the point it describes.
  const firstBarrier = client.facts.barrier_round_1 as { reached?: number; waited?: number } | undefined;
  if ((firstBarrier?.reached ?? 0) < max) {
    return unrecognised(`round 1: only ${firstBarrier?.reached ?? 0} of ${max} holders reached the server (waited ${firstBarrier?.waited ?? '?'} s)`);
  }

  const reached = (step: ClientStep, path: string): boolean => requestsTo(app, path).length > 0;
  const pathOf = (step: ClientStep): string =>
    step.name.startsWith('capacity-') ? `/slow/${step.name}?` : `/after/${step.name.slice('follow-up-'.length)}`;
  const perRound = Array.from({ length: rounds }, (_, r) => requestsTo(app, `/slow/churn-${r + 1}-`).length);
  const serverSaw =
    `the server saw ${perRound.join(', ')} churn request(s) in rounds 1-${rounds} (max_connections=${max}, ${tasks} tasks a round), ` +
    `${app?.connections.length ?? 0} connection(s) in all`;
  const pool = client.facts.pool_after_churn ? `; the client's pool after the churn: ${String(client.facts.pool_after_churn)}` : '';

  const starved = [...followUps, ...capacity].filter((s) => s.error?.kind === 'pool-timeout' && !reached(s, pathOf(s)));
  if (starved.length) {
    const failedFollowUps = followUps.filter((s) => starved.includes(s)).length;
    const failedCapacity = capacity.filter((s) => starved.includes(s)).length;
    return reproduced(
      `after the cancellation churn ${failedFollowUps} of ${followUps.length} sequential request(s) and ${failedCapacity} of ${max} ` +
        `concurrent request(s) raised ${outcomeOf(starved[0])} (pool timeout ${input.poolTimeout} s) and never reached the server; ` +
        serverSaw + pool,
    );
  }
  const allServed = [...followUps, ...capacity].every((s) => ok200(s) && reached(s, pathOf(s)));
  if (allServed) {
    return fixed(
      `after the cancellation churn all ${followUps.length} sequential requests got 200 and all ${max} concurrent requests got a ` +
        `connection within the ${input.poolTimeout} s pool timeout (server delay ${Number(input.capacityDelayMs) / 1000} s): no slot leaked; ` +
        serverSaw,
    );
  }
  const odd = [...followUps, ...capacity].find((s) => !ok200(s))!;
  return unrecognised(`${odd.name}: ${outcomeOf(odd)} (${odd.error?.message ?? ''}); ${serverSaw}`);
}
