import { faultsOf, findStep, fixed, outcomeOf, reproduced, requestsTo, serverSaw, unrecognised } from '../../harness/scenario-kit.ts';
import type { JudgeInput, Judgement } from '../../harness/types.ts';

/** A timeout this much before the slow answer is not the Agent's 30 s: it is the hint's (1 s measured). */
const CUT_SHORT_BEFORE_S = 3.0;
/** The 200 must come no sooner than this after the second request began (the server waits 4 s). */
const WAITED_AT_LEAST_S = 3.5;

/**
 * Judged from both sides. The first request must be answered on connection A and the client must have seen
 * the hint the case sends (`timeout=2`, or `timeout=60` in the control). The second must arrive on A (the socket was reused:
 * the case's premise). Then:
 *  - fixed: the client got the 200 the server sent after its delay, at least 3.5 s after it asked.
 *  - reproduced: the client gave up with a timeout in under 3 s (the Agent's timeout is 30 s) and closed A
 *    before the server's answer: the server's record of the request says the client went away.
 * The control (a hint of 60 s, longer than the Agent's 30 s) must be fixed on every release: the slow answer
 * alone is waited for, and the case's client does wait for a 200 at 4 s.
 */
export function judgeHint({ client, server, input }: JudgeInput): Judgement {
  const app = server.app;
  const saw = serverSaw(app);
  const path = String(input.path);
  const hint = Number(input.hintSeconds);
  const first = findStep(client, 'first');
  const second = findStep(client, 'second');
  const firstArrival = requestsTo(app, `${path}/1`)[0];
  if (!first?.ok || first.status !== 200 || !firstArrival) {
    return unrecognised(`the first request: ${outcomeOf(first)}, ${firstArrival ? 'seen' : 'not seen'} by the server; ${saw}`);
  }
  const expectedHint = `timeout=${hint}`;
  const seenHint = (first.keepAlive as string | null | undefined) ?? null;
  if (seenHint !== expectedHint) {
    return unrecognised(`the first response's Keep-Alive header was ${JSON.stringify(seenHint)}, the case sends ${JSON.stringify(expectedHint)}; ${saw}`);
  }
  const a = firstArrival.connection;
  const arrivals = requestsTo(app, `${path}/2`);
  const arrival = arrivals[0];
  if (!arrival || arrivals.length !== 1 || arrival.connection !== a) {
    const where = arrivals.map((r) => `connection ${r.connection}`).join(', ') || 'nowhere';
    return unrecognised(`the second request arrived ${arrivals.length} time(s) (${where}), not once on the kept-alive connection ${a}: the socket was not reused; ${saw}`);
  }
  if (faultsOf(app, 'delay').length !== 1) return unrecognised(`the server did not delay the second request's answer; ${saw}`);
  const connection = app?.connections.find((c) => c.id === a);
  const closed = connection?.closedAt !== undefined ? `${connection.closedBy ?? '?'} closed connection ${a} ${((connection.closedAt - arrival.at) / 1000).toFixed(2)} s after the second request arrived` : `connection ${a} still open at the end`;
  const socketTimeout = second?.socketTimeoutMs !== undefined ? `; the reused socket's timeout when the request got it: ${String(second.socketTimeoutMs)} ms (Agent timeout ${String(input.agentTimeoutMs)} ms)` : '';
  const story = `first response Keep-Alive: ${seenHint ?? 'none'}; the second request arrived on connection ${a} (reused); the client: ${outcomeOf(second)}` +
    `${second?.error?.kind ? ` (kind ${second.error.kind})` : ''}${socketTimeout}; ${closed}`;

  if (second?.ok && second.status === 200 && second.elapsed >= WAITED_AT_LEAST_S && arrival.respondedAt !== undefined && !arrival.aborted) {
    return fixed(`the reused socket kept the Agent's timeout: the client waited for the slow answer: ${story}; ${saw}`);
  }
  if (second && !second.ok && second.error?.kind === 'timeout' && second.elapsed < CUT_SHORT_BEFORE_S && arrival.aborted) {
    const cutTo = Number(second.socketTimeoutMs);
    return {
      ...reproduced(`the Keep-Alive hint's timeout outlived the idle socket: the request on the reused socket timed out after ${second.elapsed.toFixed(2)} s although the Agent's timeout is ${Number(input.agentTimeoutMs) / 1000} s, and the client left before the server's answer: ${story}; ${saw}`),
      measure: { what: 'requests on a reused socket timed out by the hint', value: 1, tolerance: 0 },
      ...(Number.isFinite(cutTo) ? { details: { reusedSocketTimeoutMs: cutTo } } : {}),
    };
  }
  return unrecognised(`${story}; ${saw}`);
}
