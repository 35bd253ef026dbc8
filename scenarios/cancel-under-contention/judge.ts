import { fixed, ok200, outcomeOf, reproduced, requestsTo, stepsStartingWith, unrecognised } from '../../harness/scenario-kit.ts';
import type { ClientStep, JudgeInput, Judgement, ReproductionMeasure } from '../../harness/types.ts';

/**
 * How far a release's count of stranded requests may move between runs and still be the same failure:
 * none was seen (README, "Measure"), so any rise is a worse failure.
 */
const TOLERANCE = 0;

/**
 * Time allowed, on top of the pool timeout, between a request's mark and the server seeing it get its
 * slot (its connection accepted, or its request on a kept-alive one): opening the connection and sending
 * on an event loop a loaded machine starves. A fixed release's longest such wait was 1.14 s at a load
 * average of 19 on 2 cores, 0.07 - 0.8 s in 58 other runs at 13 - 21 (README). A request queued behind
 * another concurrent one (answered after 2 s) is caught by the burst's all-at-once check instead.
 */
const CONNECT_ALLOWANCE_MS = 1500;

export function judgeContention({ client, server, input, marks }: JudgeInput): Judgement {
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

  // Every follow-up request is judged on the server's clock: how long it waited for a slot, from the
  // client's mark just before it (each sequential request, and the concurrent burst) to the moment the
  // server saw it get one: the connection it opened (a new connection is accepted only once the pool gave
  // it a slot), or its arrival on a kept-alive connection. A request served only after a wait past its
  // pool timeout was stranded just as one that raised PoolTimeout was.
  const poolTimeoutMs = Number(input.poolTimeout) * 1000;
  // What the server sees is the wait for a slot plus the time to open a connection and send the request,
  // which a starved event loop stretches: allow CONNECT_ALLOWANCE_MS for the second part.
  const deadlineMs = poolTimeoutMs + CONNECT_ALLOWANCE_MS;
  const markOf = (step: ClientStep): number | undefined => (step.name.startsWith('capacity-') ? marks.capacity : marks[step.name]);
  const missingMarks = [...followUps.map((s) => s.name), 'capacity'].filter((m) => marks[m] === undefined);
  if (missingMarks.length) return unrecognised(`the client set no mark for ${missingMarks.join(', ')}, so the wait for a slot cannot be judged`);
  const slotWaitMs = (step: ClientStep): number | undefined => {
    const request = requestsTo(app, pathOf(step))[0];
    if (!request) return undefined;
    const connection = app?.connections.find((c) => c.id === request.connection);
    const mark = markOf(step)!;
    const slotAt = connection && connection.openedAt >= mark ? connection.openedAt : request.at;
    return slotAt - mark;
  };
  const all = [...followUps, ...capacity];
  // At full concurrency: every concurrent request was in progress at the server at once, each arriving
  // before any of them was answered (the answer takes longer than the pool timeout). One that arrived
  // later got a slot only when another request gave its slot back.
  const burst = capacity.map((s) => requestsTo(app, pathOf(s))[0]);
  const firstAnswer = Math.min(...burst.map((r) => r?.respondedAt ?? Number.POSITIVE_INFINITY));
  const queuedBehind = capacity.filter((_, i) => burst[i] !== undefined && burst[i]!.at >= firstAnswer);
  const inTime = (s: ClientStep): boolean => ok200(s) && (slotWaitMs(s) ?? Number.POSITIVE_INFINITY) <= deadlineMs && !queuedBehind.includes(s);
  const stranded = all.filter((s) => !inTime(s));
  // How badly, as one number: the follow-up requests (of followUps + maxConnections) that did not get a slot
  // within the pool timeout at full concurrency, whether they raised PoolTimeout or were served late. A
  // leaked slot strands a concurrent request; a pool with no slot left strands every one.
  const measure: ReproductionMeasure = { what: 'requests stranded', value: stranded.length, tolerance: TOLERANCE };
  const waits = all.map(slotWaitMs).filter((w): w is number => w !== undefined);
  const longest = waits.length ? `; longest wait for a slot ${(Math.max(...waits) / 1000).toFixed(2)} s on the server's clock` : '';

  const starved = all.filter((s) => s.error?.kind === 'pool-timeout' && !reached(s, pathOf(s)));
  if (starved.length) {
    const failedFollowUps = followUps.filter((s) => starved.includes(s)).length;
    const failedCapacity = capacity.filter((s) => starved.includes(s)).length;
    return {
      ...reproduced(
        `after the cancellation churn ${failedFollowUps} of ${followUps.length} sequential request(s) and ${failedCapacity} of ${max} ` +
          `concurrent request(s) raised ${outcomeOf(starved[0])} (pool timeout ${input.poolTimeout} s) and never reached the server; ` +
          `${stranded.length} request(s) stranded in all; ` + serverSaw + pool,
      ),
      measure,
    };
  }
  const allServed = all.every((s) => ok200(s) && reached(s, pathOf(s)));
  if (!allServed) {
    const odd = all.find((s) => !ok200(s) || !reached(s, pathOf(s)))!;
    return unrecognised(`${odd.name}: ${outcomeOf(odd)} (${odd.error?.message ?? 'the server saw no request'}); ${serverSaw}`);
  }
  if (stranded.length) {
    const late = stranded.map((s) => `${s.name} ${((slotWaitMs(s) ?? 0) / 1000).toFixed(2)} s`).join(', ');
    const behind = queuedBehind.length ? `; ${queuedBehind.map((s) => s.name).join(', ')} reached the server only after another concurrent request was answered` : '';
    return {
      ...reproduced(
        `after the cancellation churn every request got 200, but ${stranded.length} of ${all.length} got no slot within the ` +
          `${input.poolTimeout} s pool timeout at full concurrency (waits from the mark to the server: ${late}; ` +
          `${CONNECT_ALLOWANCE_MS / 1000} s allowed for connecting)${behind}; ` +
          serverSaw + pool,
      ),
      measure,
    };
  }
  return fixed(
    `after the cancellation churn all ${followUps.length} sequential requests got 200 and all ${max} concurrent requests got a ` +
      `connection within the ${input.poolTimeout} s pool timeout on the server's clock (${CONNECT_ALLOWANCE_MS / 1000} s allowed for connecting), all ${max} at the server at once ` +
      `(server delay ${Number(input.capacityDelayMs) / 1000} s): no slot leaked${longest}; ` +
      serverSaw,
  );
}
