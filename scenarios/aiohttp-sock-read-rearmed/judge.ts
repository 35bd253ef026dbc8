import { findStep, kindOf, ok200, outcomeOf, reproduced, requestsTo, serverSaw, unrecognised, fixed } from '../../harness/scenario-kit.ts';
import type { ClientStep, JudgeInput, Judgement } from '../../harness/types.ts';

// aiohttp #12953. The client says how the request after the idle gap ended and how long it took; the
// server says whether that request arrived on the pooled connection, was answered, and how the connection
// ended. The failure is both at once: a read timeout raised far sooner than sock_read allows, for a request
// the server answered 200 on the reused connection, which the client then reset.

/** A timeout raised before this share of sock_read cannot be the request's own read timing out. */
const IMMEDIATE_SHARE = 0.5;

function errorSaid(step: ClientStep | undefined): string {
  return step?.error ? ` (${step.error.type}, kind ${step.error.kind}: ${step.error.message})` : '';
}

export function judgeSockReadRearmed({ client, server }: JudgeInput): Judgement {
  const app = server.app;
  const first = findStep(client, 'first');
  const second = findStep(client, 'second');
  const sockRead = Number(second?.sockReadSeconds ?? Number.NaN);
  const firstSeen = requestsTo(app, '/rearm/first');
  const secondSeen = requestsTo(app, '/rearm/second');
  const connections = app?.connections ?? [];
  const steps = `first: ${outcomeOf(first)}; second: ${outcomeOf(second)}${errorSaid(second)}`;
  const saw = serverSaw(app);

  if (!ok200(first) || firstSeen.length !== 1) {
    // Without a first answered request there is no pooled connection to poison: the case says nothing.
    return unrecognised(`the first request was not served once: ${steps}; ${saw}`);
  }
  const pooled = firstSeen[0]!.connection;
  if (ok200(second)) {
    const on = secondSeen.map((r) => `#${r.connection}`).join(', ');
    return fixed(
      `the request after the idle gap got its 200 (${on || 'no server record'}${secondSeen.some((r) => r.connection === pooled) ? ', the pooled connection' : ''}); ${steps}; ${saw}`,
    );
  }
  const reused = secondSeen.filter((r) => r.connection === pooled);
  const answered = reused.filter((r) => r.respondedAt !== undefined);
  const conn = connections.find((c) => c.id === pooled);
  const immediate = Number.isFinite(sockRead) && second !== undefined && second.elapsed < sockRead * IMMEDIATE_SHARE;
  // The client drops the poisoned connection as it raises: a FIN, or an RST when the 200 was already in its
  // receive buffer (both seen here; which one depends on whether the answer arrived before the close).
  const clientEnded = conn?.closedBy === 'client' || conn?.closedBy === 'client-reset';
  if (kindOf(second) === 'read-timeout' && immediate && answered.length === 1 && clientEnded) {
    const answeredAt = answered[0]!.respondedAt!;
    return reproduced(
      `the request after the idle gap raised a read timeout after ${second!.elapsed.toFixed(3)} s (sock_read ${sockRead} s): ` +
        `the server had received it on the pooled connection #${pooled} and answered 200 at ${answeredAt.toFixed(0)} ms, then the ` +
        `client ended the connection (${conn!.closedBy === 'client' ? 'FIN' : 'RST'} at ${(conn!.closedAt ?? Number.NaN).toFixed(0)} ms); ${steps}; ${saw}`,
    );
  }
  // A read timeout after sock_read really elapsed (a stalled machine), or anything else: no verdict.
  return unrecognised(`${steps}; the second request reached the server ${secondSeen.length} time(s), ${answered.length} answered on #${pooled}; ${saw}`);
}
