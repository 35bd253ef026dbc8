import type { ConnectionRecord } from '../../fixtures/connection-tracker.ts';
import { fixed, openAt, outcomeOf, reproduced, requestsTo, unrecognised } from '../../harness/scenario-kit.ts';
import type { ClientStep, JudgeInput, Judgement, ReproductionMeasure } from '../../harness/types.ts';

// Every reproduction carries a measure (harness/types.ts ReproductionMeasure). Tolerances are the spread
// measured over repeated runs with both cores busy (README, "Measure").
const STREAMS_LEFT_OPEN = 'cancelled streams left holding their connection';
const DOUBLE_CANCEL_TOLERANCE = 0;
const YIELD_SWEEP_TOLERANCE = 0;

const measured = (measure: ReproductionMeasure, reason: string): Judgement => ({ ...reproduced(reason), measure });

/** A round's stream got its 200 and a first chunk before it was cancelled. */
function opened(step: ClientStep | undefined): boolean {
  return Boolean(step?.cancelled && step.status === 200);
}

/** The last stream waited for a connection past its pool timeout and never reached the server. */
function waitedPastPoolTimeout(step: ClientStep | undefined, reached: boolean, poolTimeout: number): boolean {
  return Boolean(step && !reached && step.cancelled && step.elapsed > poolTimeout + 2);
}

export function judgeDoubleCancel({ client, server, input, marks }: JudgeInput): Judgement {
  if (marks.closed === undefined) return unrecognised('the client set no closed mark, so a left-open socket cannot be judged');
  const app = server.app;
  const rounds = Number(input.rounds);
  const max = Number(input.maxConnections);
  const steps = Array.from({ length: rounds }, (_, i) => client.steps.find((s) => s.name === `stream-${i + 1}`));
  const missing = steps.flatMap((s, i) => (s ? [] : [i + 1]));
  if (missing.length) return unrecognised(`no result for round(s) ${missing.join(', ')}`);

  // The server side: one connection per round's stream, and whether the client closed it before exiting.
  const streamConnection = (n: number): ConnectionRecord | undefined => {
    const request = requestsTo(app, `/stream/double-cancel-${n}?`)[0];
    return app?.connections.find((c) => c.id === request?.connection);
  };
  // Every client closed, on the server's clock (the client's `closed` mark; checked above).
  const closed = marks.closed;
  const leftOpen = (c: ConnectionRecord | undefined): boolean => openAt(c, closed);
  const describe = (n: number): string => {
    const c = streamConnection(n);
    if (!c) return `round ${n}: never reached the server`;
    if (leftOpen(c)) return `round ${n}: connection ${c.id} still open after the client was closed`;
    // Still open when a later round's stream arrived: the cancelled stream's socket was not closed by its cancellation.
    const later = Array.from({ length: rounds - n }, (_, i) => n + i + 1).filter((m) => {
      const at = requestsTo(app, `/stream/double-cancel-${m}?`)[0]?.at;
      return at !== undefined && c.closedAt! > at;
    });
    const still = later.length ? ` (still open when round ${later.join(', ')} arrived)` : '';
    return `round ${n}: connection ${c.id} closed by the client at ${(c.closedAt! / 1000).toFixed(2)} s${still}`;
  };
  const serverSaw = Array.from({ length: rounds }, (_, i) => describe(i + 1)).join('; ');

  const early = steps.slice(0, max);
  if (!early.every(opened)) {
    return unrecognised(`the first ${max} streams did not all open and get cancelled: ${steps.map(outcomeOf).join('; ')}`);
  }
  const last = steps[rounds - 1];
  const lastReached = requestsTo(app, `/stream/double-cancel-${rounds}?`).length > 0;
  // How badly, from the server's side: the cancelled streams whose connection was still open when the next
  // round's stream arrived, plus the last cancelled one, whose slot the final stream waited for in vain.
  const heldPastNext = Array.from({ length: max - 1 }, (_, i) => i + 1).filter((n) => {
    const c = streamConnection(n);
    const next = requestsTo(app, `/stream/double-cancel-${n + 1}?`)[0]?.at;
    return c !== undefined && next !== undefined && (c.closedAt === undefined || c.closedAt > next);
  }).length;
  const slotsHeld: ReproductionMeasure = { what: STREAMS_LEFT_OPEN, value: heldPastNext + 1, tolerance: DOUBLE_CANCEL_TOLERANCE };
  if (last?.error?.kind === 'pool-timeout' && !lastReached) {
    const pool = client.facts[`pool_after_round_${max}`];
    return measured(slotsHeld,
      `after ${max} double-cancelled streams, stream ${rounds} raised ${outcomeOf(last)} (max_connections=${max}) and never ` +
        `reached the server; server saw ${serverSaw}` + (pool ? `; the client's pool after round ${max}: ${String(pool)}` : ''),
    );
  }
  if (waitedPastPoolTimeout(last, lastReached, Number(input.poolTimeout))) {
    return measured(slotsHeld,
      `stream ${rounds} waited ${outcomeOf(last)} for a connection without PoolTimeout (pool timeout ${input.poolTimeout} s) ` +
        `and never reached the server; server saw ${serverSaw}`,
    );
  }
  const leaked = Array.from({ length: rounds }, (_, i) => i + 1).filter((n) => leftOpen(streamConnection(n)));
  if (opened(last) && lastReached) {
    if (leaked.length) {
      // The slot came back but the socket did not: a connection leak all the same.
      return measured(
        { what: STREAMS_LEFT_OPEN, value: leaked.length, tolerance: DOUBLE_CANCEL_TOLERANCE },
        `stream ${rounds} opened, but the client never closed the socket of round(s) ${leaked.join(', ')}; server saw ${serverSaw}`,
      );
    }
    return fixed(`stream ${rounds} opened after ${max} double-cancelled streams (max_connections=${max}); server saw ${serverSaw}`);
  }
  return unrecognised(`stream ${rounds}: ${outcomeOf(last)}; server saw ${serverSaw}`);
}

export function judgeYieldSweep({ client, server, input, marks }: JudgeInput): Judgement {
  if (marks.closed === undefined) return unrecognised('the client set no closed mark, so a left-open socket cannot be judged');
  const app = server.app;
  const gaps = Array.from({ length: Number(input.gaps) + 1 }, (_, g) => g);
  const leaked: string[] = [];
  const socketsLeft: number[] = [];
  for (const gap of gaps) {
    const first = client.steps.find((s) => s.name === `gap-${gap}-stream-1`);
    const second = client.steps.find((s) => s.name === `gap-${gap}-stream-2`);
    if (!opened(first)) return unrecognised(`gap ${gap}: the first stream did not open and get cancelled: ${outcomeOf(first)}`);
    const secondReached = requestsTo(app, `/stream/sweep-${gap}-2?`).length > 0;
    if ((second?.error?.kind === 'pool-timeout' || waitedPastPoolTimeout(second, secondReached, Number(input.poolTimeout))) && !secondReached) {
      leaked.push(`${gap} (${outcomeOf(second)})`);
      continue;
    }
    if (!(opened(second) && secondReached)) return unrecognised(`gap ${gap}: second stream ${outcomeOf(second)}`);
    const firstConnection = app?.connections.find((c) => c.id === requestsTo(app, `/stream/sweep-${gap}-1?`)[0]?.connection);
    if (openAt(firstConnection, marks.closed)) socketsLeft.push(gap);
  }
  const tried = `gaps of ${gaps[0]}-${gaps.at(-1)} yields between the two cancels, max_connections=1`;
  // How badly: the gaps at which the double cancel lost a slot or left the first stream's socket open.
  const gapsLeaked: ReproductionMeasure = { what: 'gaps that leaked a connection', value: leaked.length + socketsLeft.length, tolerance: YIELD_SWEEP_TOLERANCE };
  if (leaked.length) {
    return measured(
      gapsLeaked,
      `${tried}: after a double cancel the next stream got no connection (PoolTimeout, or a wait past the pool timeout) and never reached the server at gap(s) ${leaked.join(', ')}; ` +
        `the second stream opened at gap(s) ${gaps.filter((g) => !leaked.some((l) => l.startsWith(`${g} `))).join(', ') || 'none'}`,
    );
  }
  if (socketsLeft.length) {
    return measured(gapsLeaked, `${tried}: every second stream opened, but the client never closed the first stream's socket at gap(s) ${socketsLeft.join(', ')}`);
  }
  return fixed(`${tried}: at every gap the second stream opened and the server saw the first stream's socket closed by the client`);
}
