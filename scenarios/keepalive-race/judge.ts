import { findStep, fixed, outcomeOf, reproduced, requestsTo, serverSaw, unrecognised } from '../../harness/scenario-kit.ts';
import type { JudgeInput, Judgement } from '../../harness/types.ts';
import { POLICIES } from './policies.ts';

/**
 * Judged from the server. The first request (GET …/1) must be answered on connection A. Then the second
 * request (…/2, a GET or a POST of `postBytes` bytes):
 *  - close-after-first (FIN) and reset-after-first (RST): it must arrive on A (the client reused its connection: the race happened), the server
 *    reads it and closes A. A POST received a second time is a replay, a duplicate side effect: `reproduced`
 *    in every family. A GET must do what the family documents (policies.ts): retried once on a new
 *    connection and answered, or the error raised; the other one is `reproduced`. A client that keeps no
 *    connection alive (A closed before the second request arrived, which went out once on a new connection and
 *    was answered) cannot meet the close: `fixed`, saying so.
 *  - idle-close: the server closed A 300 ms after its answer and the client waited 1 s, so every client could
 *    know A was gone: the second request must arrive once, on a new connection, and be answered. Arriving on
 *    A, failing without arriving anywhere, or a POST arriving twice is `reproduced`.
 */
/** How long before the client's `second` mark the idle close's FIN must have left the server (fixture clock). */
const FIN_BEFORE_MARK_MS = 50;

export function judgeRace({ client, server, input, installed, marks }: JudgeInput): Judgement {
  const family = String(input.clientFamily ?? installed.module);
  const app = server.app;
  const saw = serverSaw(app);
  const policy = POLICIES[family];
  if (!policy) return unrecognised(`no documented behaviour recorded for the client family '${family}'`);
  const path = String(input.path);
  const method = String(input.method);
  const idle = Number(input.idleSeconds) > 0;
  const first = findStep(client, 'first');
  const second = findStep(client, 'second');
  const firstArrival = requestsTo(app, `${path}/1`)[0];
  if (!first?.ok || first.status !== 200 || !firstArrival) {
    return unrecognised(`the first request: ${outcomeOf(first)}, ${firstArrival ? 'seen' : 'not seen'} by the server; ${saw}`);
  }
  const a = firstArrival.connection;
  const arrivals = requestsTo(app, `${path}/2`).filter((r) => r.method === method);
  const where = arrivals.map((r) => `connection ${r.connection}${r.connection === a ? ' (reused)' : ' (new)'}` + (method === 'POST' ? `, ${r.bodyBytes ?? '?'} body bytes` : ''));
  const story = `${method} arrived ${arrivals.length} time(s)${where.length ? `: ${where.join('; ')}` : ''}; the client: ${outcomeOf(second)}` +
    `${second?.error?.kind ? ` (kind ${second.error.kind})` : ''}`;
  const documented = `documented (${family}): ${policy.says}`;

  if (method === 'POST' && arrivals.length > 1) {
    return reproduced(`the POST was replayed, a duplicate side effect: ${story}; ${saw}`);
  }
  if (method === 'POST' && arrivals.some((r) => r.bodyBytes !== Number(input.postBytes))) {
    return unrecognised(`the POST's body did not arrive whole (${input.postBytes} bytes sent): ${story}; ${saw}`);
  }

  const idleClosed = (app?.faults ?? []).some((f) => f.kind === 'idle-close' && f.connection === a);
  // A client that does not keep connections alive (node:http's default agent on Node 18 asks `Connection:
  // close`, so the server closes A after its answer, before any idle timer) has A closed before the second
  // request: sent once on a new connection and answered, there is no race to lose. The server's record says
  // so (A closed, and no idle close applied to it, before the request arrived), not the client.
  const connectionA = app?.connections.find((c) => c.id === a);
  const aClosedAt = connectionA?.closedAt;
  if (arrivals.length === 1 && arrivals[0]!.connection !== a && aClosedAt !== undefined && aClosedAt <= arrivals[0]!.at && !idleClosed && second?.ok && second.status === 200) {
    return fixed(`the client did not keep connection ${a} alive (closed by ${connectionA?.closedBy ?? '?'} ${((arrivals[0]!.at - aClosedAt) / 1000).toFixed(3)} s before the second request arrived), so no request could meet the close: ${story}; ${saw}`);
  }
  if (idle) {
    if (!idleClosed) return unrecognised(`the server never closed connection ${a} for idle; ${story}; ${saw}`);
    // The premise is a FIN the client had time to read. Node programs set the mark `second` on the fixture
    // clock just before sending (then let their event loop turn once): a reuse of A whose FIN left the server
    // after that (a fixture starved on a loaded machine closes late) is the plain race, not this case.
    const finAt = connectionA?.serverFinAt ?? connectionA?.closedAt;
    const markAt = marks.second;
    const late = markAt !== undefined && (finAt === undefined || finAt + FIN_BEFORE_MARK_MS > markAt);
    if (late && (arrivals.length === 0 || arrivals[0]!.connection === a)) {
      return unrecognised(`the server's idle close of connection ${a} went out at ${finAt?.toFixed(0) ?? '?'} ms, not ${FIN_BEFORE_MARK_MS} ms before the client's mark before its second request (${markAt.toFixed(0)} ms): the fixture closed late, the case's premise not met; ${story}; ${saw}`);
    }
    if (arrivals.length === 0) {
      return reproduced(`the client failed without sending on a new connection: it reused connection ${a}, which the server had closed for idle: ${story}; ${saw}`);
    }
    if (arrivals[0]!.connection === a) {
      return reproduced(`the client sent on connection ${a} although the server had closed it for idle long before: ${story}; ${saw}`);
    }
    if (arrivals.length === 1 && second?.ok && second.status === 200) {
      return fixed(`the client saw connection ${a} closed while idle and opened a new one: ${story}; ${saw}`);
    }
    return unrecognised(`${story}; ${saw}`);
  }

  // close-after-first / reset-after-first
  if (arrivals.length === 0 || arrivals[0]!.connection !== a) {
    return unrecognised(`the second request did not go out on the kept-alive connection ${a}, so the race was not met: ${story}; ${saw}`);
  }
  const retried = arrivals.length === 2 && arrivals[1]!.connection !== a;
  if (arrivals.length > 2) return unrecognised(`${story}; ${saw}`);
  if (method === 'POST') {
    if (second && !second.ok && !second.cancelled) return fixed(`the POST was not replayed and the error reached the caller: ${story}; ${documented}; ${saw}`);
    return unrecognised(`the POST got no answer from the server, yet the client reported ${outcomeOf(second)}: ${story}; ${saw}`);
  }
  if (retried && second?.ok && second.status === 200) {
    return policy.get === 'retry'
      ? fixed(`the GET was retried once on a new connection and answered: ${story}; ${documented}; ${saw}`)
      : reproduced(`the GET was retried on a new connection, a retry this family documents it does not make: ${story}; ${documented}; ${saw}`);
  }
  if (arrivals.length === 1 && second && !second.ok && !second.cancelled) {
    return policy.get === 'raise'
      ? fixed(`the GET was not retried and the error reached the caller: ${story}; ${documented}; ${saw}`)
      : reproduced(`the documented retry of an idempotent GET is missing: ${story}; ${documented}; ${saw}`);
  }
  return unrecognised(`${story}; ${saw}`);
}
