import { clientEndedAt } from '../../fixtures/connection-tracker.ts';
import {
  connectionsCarrying,
  findStep,
  fixed,
  ok200,
  openAt,
  outcomeOf,
  reproduced,
  serverSaw,
  stepsStartingWith,
  unrecognised,
} from '../../harness/scenario-kit.ts';
import type { JudgeInput, Judgement } from '../../harness/types.ts';

/**
 * What the case asserts: a client configured to keep idle connections 30 s reuses its connection after a
 * 6 s idle gap the server allows (server keep-alive 60 s). Violation, `reproduced`: the client dropped the
 * connection itself (the server saw the client's FIN on it) and opened a new one for the second request.
 * A connection the server closed says nothing about the client.
 */
export function judgeIdleGap({ client, server, input }: JudgeInput): Judgement {
  const app = server.app;
  const saw = serverSaw(app);
  const steps = ['default-1', 'default-2', 'configured-1', 'configured-2'].map((n) => findStep(client, n));
  if (!steps.every(ok200)) return unrecognised(`${steps.map((s, i) => `step ${i + 1}: ${outcomeOf(s)}`).join('; ')}; ${saw}`);
  const configured = connectionsCarrying(app, '/ka/configured/');
  const byDefault = connectionsCarrying(app, '/ka/default/');
  const how = client.facts.keepalive_expiry_unsupported
    ? String(client.facts.keepalive_expiry_unsupported)
    : `configured with ${String(client.facts.configured_with)}`;
  const defaultNote =
    byDefault.length > 1
      ? `the default client opened a new connection after ${input.idleSeconds} s idle`
      : `the default client kept its connection across ${input.idleSeconds} s idle (no expiry)`;
  if (configured.length === 1) {
    return fixed(`${how}: one connection carried both requests across ${input.idleSeconds} s idle; ${defaultNote}; ${saw}`);
  }
  if (configured.length === 2) {
    const firstId = Math.min(...configured);
    const first = app?.connections.find((c) => c.id === firstId);
    if (first?.closedBy === 'server') {
      return unrecognised(`the server closed the configured client's first connection (keep-alive 60 s); ${saw}`);
    }
    return reproduced(
      `${how}: the client dropped its connection after ${input.idleSeconds} s idle (closed by ${first?.closedBy ?? 'nobody yet'}; ` +
        `server keep-alive 60 s) and opened a new one; ${defaultNote}; ${saw}`,
    );
  }
  return unrecognised(`the configured client's two requests arrived on ${configured.length} connection(s); ${saw}`);
}

/**
 * short-expiry: keepalive_expiry=1 and 3 s idle, server keep-alive 60 s. The expiry must end the idle
 * connection: the server sees the client's close of the first connection, or the second request on a new
 * one (a pool that checks expiry lazily closes it only then). The same connection carrying both requests is
 * an expiry never applied: `reproduced`.
 */
export function judgeShortExpiry({ client, server, input }: JudgeInput): Judgement {
  const app = server.app;
  const saw = serverSaw(app);
  const steps = ['short-1', 'short-2'].map((n) => findStep(client, n));
  if (!steps.every(ok200)) return unrecognised(`${steps.map((s, i) => `step ${i + 1}: ${outcomeOf(s)}`).join('; ')}; ${saw}`);
  const first = app?.requests.find((r) => r.path.startsWith('/ka/short/1'));
  const second = app?.requests.find((r) => r.path.startsWith('/ka/short/2'));
  if (!first || !second) return unrecognised(`the server did not see both requests; ${saw}`);
  const firstConnection = app!.connections.find((c) => c.id === first.connection);
  const how = `${String(client.facts.configured_with)}, ${input.idleSeconds} s idle`;
  if (first.connection === second.connection) {
    return reproduced(
      `${how}: the second request reused connection ${first.connection} after ${input.idleSeconds} s idle, ` +
        `${Number(input.idleSeconds) / Number(input.keepaliveExpiry)}× the expiry: the expiry was never applied; ${saw}`,
    );
  }
  if (firstConnection?.closedBy === 'server' && (clientEndedAt(firstConnection) ?? Infinity) >= (firstConnection.closedAt ?? Infinity)) {
    return unrecognised(`the server closed the first connection itself (keep-alive 60 s): the expiry was not what ended it; ${saw}`);
  }
  const ended = firstConnection ? clientEndedAt(firstConnection) : undefined;
  const when =
    ended !== undefined && ended < second.at
      ? `the client closed connection ${first.connection} before the second request`
      : `the second request came on a new connection ${second.connection}`;
  return fixed(`${how}: the idle connection expired (${when}); ${saw}`);
}

/**
 * keepalive-boundary: 4 requests at once on 4 connections, max_keepalive_connections=2. Once every request
 * has finished (the client's `settled` mark, on the fixture clock), exactly 2 of the 4 connections must be
 * open for the client: more is a limit not enforced (or off by one upwards), fewer closes what it may keep.
 */
export function judgeKeepaliveBoundary({ client, server, input, marks }: JudgeInput): Judgement {
  const app = server.app;
  const saw = serverSaw(app);
  const tasks = Number(input.tasks);
  const keep = Number(input.maxKeepalive);
  const burst = stepsStartingWith(client, 'burst-');
  if (burst.length !== tasks || !burst.every(ok200)) {
    return unrecognised(`${burst.map((s) => `${s.name}: ${outcomeOf(s)}`).join('; ') || 'no burst request reported'}; ${saw}`);
  }
  const settled = marks.settled;
  if (settled === undefined) return unrecognised(`the client set no 'settled' mark; ${saw}`);
  const used = connectionsCarrying(app, '/slow/boundary-').map((id) => app!.connections.find((c) => c.id === id)!);
  if (used.length !== tasks) {
    return unrecognised(`the ${tasks} concurrent requests arrived on ${used.length} connection(s), so the boundary was not reached; ${saw}`);
  }
  if (used.some((c) => c.closedBy === 'server' && c.closedAt !== undefined && c.closedAt <= settled)) {
    return unrecognised(`the server closed a connection itself before the mark (keep-alive 60 s); ${saw}`);
  }
  const open = used.filter((c) => openAt(c, settled));
  const how = String(client.facts.configured_with);
  const counts = `${open.length} of ${tasks} connection(s) open at the mark (${open.map((c) => c.id).join(', ') || 'none'}), ` +
    `${tasks - open.length} closed by the client`;
  if (open.length > keep) {
    return reproduced(`${how}: ${counts}, once every request had finished: ${open.length - keep} idle connection(s) more than max_keepalive=${keep}; ${saw}`);
  }
  if (open.length < keep) {
    return reproduced(`${how}: ${counts}: the pool closed ${keep - open.length} idle connection(s) that max_keepalive=${keep} allows it to keep; ${saw}`);
  }
  return fixed(`${how}: ${counts}, exactly max_keepalive=${keep}; ${saw}`);
}
