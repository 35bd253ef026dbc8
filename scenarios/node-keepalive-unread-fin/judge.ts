import { faultsOf, findStep, fixed, outcomeOf, reproduced, requestsTo, serverSaw, unrecognised } from '../../harness/scenario-kit.ts';
import type { JudgeInput, Judgement } from '../../harness/types.ts';

/** The server's FIN must have left this long before the second request arrived for the close to be "unread". */
const FIN_BEFORE_REQUEST_MS = 100;

/**
 * Judged from the server. The first request must be answered on connection A. Then:
 *  - fixed: the second request arrived once, on a new connection, and was answered: the client saw A closed
 *    (or never kept it: Node 18's default agent asks `Connection: close`).
 *  - reproduced: the second request arrived on A after the server's idle-close FIN had gone out on it (at
 *    least 100 ms before), and the client got no answer; or it arrived nowhere and the client failed (the
 *    closed connection swallowed it). A POST arriving twice is reproduced too (a replay).
 * A FIN that left the server later than that (a fixture starved on a loaded machine) is no verdict: the
 * client cannot be faulted for a close it could not have received.
 */
export function judgeUnreadFin({ client, server, input }: JudgeInput): Judgement {
  const app = server.app;
  const saw = serverSaw(app);
  const path = String(input.path);
  const method = String(input.method);
  const first = findStep(client, 'first');
  const second = findStep(client, 'second');
  const firstArrival = requestsTo(app, `${path}/1`)[0];
  if (!first?.ok || first.status !== 200 || !firstArrival) {
    return unrecognised(`the first request: ${outcomeOf(first)}, ${firstArrival ? 'seen' : 'not seen'} by the server; ${saw}`);
  }
  const a = firstArrival.connection;
  const connectionA = app?.connections.find((c) => c.id === a);
  const finAt = connectionA?.serverFinAt;
  const idleClosed = faultsOf(app, 'idle-close').some((f) => f.connection === a);
  const arrivals = requestsTo(app, `${path}/2`).filter((r) => r.method === method);
  const where = arrivals.map((r) => `connection ${r.connection}${r.connection === a ? ' (the closed one)' : ' (new)'} at ${r.at.toFixed(0)} ms` + (method === 'POST' ? `, ${r.bodyBytes ?? '?'} body bytes` : ''));
  const closeA = idleClosed && finAt !== undefined ? `the server closed connection ${a} for idle (FIN at ${finAt.toFixed(0)} ms)` : `connection ${a} closed by ${connectionA?.closedBy ?? 'nobody'}${connectionA?.closedAt !== undefined ? ` at ${connectionA.closedAt.toFixed(0)} ms` : ''}`;
  const story = `${closeA}; the ${method} arrived ${arrivals.length} time(s)${where.length ? `: ${where.join('; ')}` : ''}; the client: ${outcomeOf(second)}${second?.error?.kind ? ` (kind ${second.error.kind})` : ''}`;

  if (method === 'POST' && arrivals.length > 1) return reproduced(`the POST was replayed, a duplicate side effect: ${story}; ${saw}`);
  if (method === 'POST' && arrivals.some((r) => r.bodyBytes !== Number(input.postBytes))) {
    return unrecognised(`the POST's body did not arrive whole (${String(input.postBytes)} bytes sent): ${story}; ${saw}`);
  }
  const arrival = arrivals[0];
  if (arrivals.length === 1 && arrival!.connection !== a && second?.ok && second.status === 200) {
    return fixed(`the second request went out once, on a new connection, and was answered: ${story}; ${saw}`);
  }
  if (!idleClosed || finAt === undefined) return unrecognised(`the server did not close connection ${a} for idle: ${story}; ${saw}`);
  const measure = { what: 'requests sent on a connection the server had closed', value: 1, tolerance: 0 };
  if (arrivals.length === 1 && arrival!.connection === a && second && !second.ok) {
    if (finAt + FIN_BEFORE_REQUEST_MS > arrival!.at) {
      return unrecognised(`the server's FIN on connection ${a} left only ${(arrival!.at - finAt).toFixed(0)} ms before the request arrived (the fixture closed late): ${story}; ${saw}`);
    }
    return {
      ...reproduced(`the client sent on connection ${a} ${((arrival!.at - finAt) / 1000).toFixed(2)} s after the server's FIN on it (its event loop had not read it) and got no answer: ${story}; ${saw}`),
      measure,
    };
  }
  if (arrivals.length === 0 && second && !second.ok) {
    return { ...reproduced(`the request never reached the server on any connection and the client failed: it was written into the closed connection ${a}: ${story}; ${saw}`), measure };
  }
  return unrecognised(`${story}; ${saw}`);
}
