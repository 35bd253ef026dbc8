import { connectionsCarrying, findStep, fixed, ok200, outcomeOf, reproduced, requestsTo, unrecognised } from '../../harness/scenario-kit.ts';
import type { JudgeInput, Judgement } from '../../harness/types.ts';

/** The measure's run-to-run spread with both cores busy (README, "Measure"): none. */
const TOLERANCE = 0;

export function judgeKeepaliveAccounting({ client, server, input }: JudgeInput): Judgement {
  const app = server.app;
  const names = ['hold-1', 'hold-2', 'finish', 'finish-body', 'next'];
  const steps = names.map((n) => findStep(client, n));
  if (!steps.every(ok200)) return unrecognised(names.map((n, i) => `${n}: ${outcomeOf(steps[i])}`).join('; '));

  const held = [...connectionsCarrying(app, '/stream/hold-1'), ...connectionsCarrying(app, '/stream/hold-2')];
  const [finishConnection] = connectionsCarrying(app, '/ka/finish');
  const [nextConnection] = connectionsCarrying(app, '/ka/next');
  const finishRecord = app?.connections.find((c) => c.id === finishConnection);
  const nextArrived = requestsTo(app, '/ka/next')[0]?.at;
  if (new Set([...held, finishConnection]).size !== 3 || nextConnection === undefined || !finishRecord || nextArrived === undefined) {
    return unrecognised(`expected three connections for the three streams and one request for next; server saw ${app?.connections.length ?? 0} connection(s)`);
  }
  const limits = `max_keepalive_connections=${input.maxKeepalive}, max_connections=${input.maxConnections}`;
  const context = `with two streams held open and one finished (1 idle connection, ${limits})`;
  const closedIdle = finishRecord.closedAt !== undefined && finishRecord.closedAt < nextArrived;
  const pool = client.facts.pool_after_finish ? `; the client's pool after the finish: ${String(client.facts.pool_after_finish)}` : '';
  if (nextConnection === finishConnection && !closedIdle) {
    return fixed(`${context}, the idle connection ${finishConnection} stayed open and carried the next request`);
  }
  if (nextConnection !== finishConnection) {
    const how = closedIdle
      ? `the client closed the idle connection ${finishConnection} at ${(finishRecord.closedAt! / 1000).toFixed(2)} s`
      : `the idle connection ${finishConnection} was left unused`;
    // How badly, from the server's side: connections it saw beyond the three the three streams needed (each
    // one a keep-alive connection the pool threw away and had to open again).
    const needless = (app?.connections.length ?? 0) - 3;
    return {
      ...reproduced(`${context}, ${how} and the next request arrived on a new connection ${nextConnection} at ${(nextArrived / 1000).toFixed(2)} s${pool}`),
      measure: { what: 'needless new connections', value: needless, tolerance: TOLERANCE },
    };
  }
  return unrecognised(`the next request reused connection ${finishConnection}, which the server saw closed at ${finishRecord.closedAt} ms`);
}
