import {
  fixed,
  ok200,
  openAt,
  outcomeOf,
  reproduced,
  requestsTo,
  serverSaw,
  unrecognised,
} from '../../harness/scenario-kit.ts';
import type { ClientStep, JudgeInput, Judgement } from '../../harness/types.ts';

/**
 * What the case asserts: closing a client (leaving `async with`) gives back its pool permits and closes
 * its connections, so every cycle is served within the hard limit. Violations, each `reproduced`: a cycle
 * refused with PoolTimeout (the #720 signature), more connections open at once than the hard limit, or a
 * connection the client still held after leaving its last `async with` — judged on the server's clock
 * against the `linger` mark the client sets once every client is closed. Judged on the fixture clock and the
 * server's records (the kernel's view of each connection at the mark: connection-tracker.ts syncWithKernel),
 * so a stall of the fixture's event loop changes no verdict of a healthy release.
 */
export function judgeCycles({ client, server, input, marks }: JudgeInput): Judgement {
  const app = server.app;
  const cycles = Number(input.cycles);
  const hardLimit = Number(input.hardLimit);
  const final = new Map<number, ClientStep>();
  for (const step of client.steps) {
    const match = /^cycle-(\d+)$/.exec(step.name);
    if (match) final.set(Number(match[1]), step);
  }
  const missing = range(cycles).filter((n) => !final.has(n));
  if (missing.length) return unrecognised(`the client reported no result for cycle(s) ${missing.join(', ')}; ${serverSaw(app)}`);

  const seen = (n: number): boolean => requestsTo(app, `/cycle/${n}`).length > 0;
  const timedOut = range(cycles).filter((n) => final.get(n)?.error?.kind === 'pool-timeout');
  const connections = app?.connections ?? [];
  if (timedOut.length) {
    const unseen = timedOut.filter((n) => !seen(n));
    return reproduced(
      `cycles ${timedOut.join(', ')} of ${cycles} raised ${outcomeOf(final.get(timedOut[0]!))}` +
        `${unseen.length === timedOut.length ? ' and never reached the server' : ''}; ${serverSaw(app)} for hard limit ${hardLimit}`,
    );
  }
  const peak = app?.peakConcurrentConnections ?? 0;
  if (peak > hardLimit) return reproduced(`the server saw ${peak} connections open at once for hard limit ${hardLimit}; ${serverSaw(app)}`);

  // A cycle is served when the server saw its request: the client got a pool permit and a connection, which
  // is what the case asserts. Its answer arriving late (a read timeout while the fixture's event loop was
  // stalled by a loaded machine) says nothing about the pool, so it is judged on the server's record.
  const served = (n: number): boolean => seen(n) && (ok200(final.get(n)) || final.get(n)?.error?.kind === 'read-timeout');
  const allServed = range(cycles).every(served);
  if (!allServed) return unrecognised(`${range(cycles).map((n) => `cycle ${n}: ${outcomeOf(final.get(n))}`).join('; ')}; ${serverSaw(app)}`);
  const late = range(cycles).filter((n) => !ok200(final.get(n)));

  const refused = client.facts.reopen_refused;
  const pattern = refused
    ? `re-entering is refused (${String(refused)}); the documented pattern, a new client per cycle,`
    : 're-entering one client';
  const linger = marks.linger;
  if (linger === undefined) return unrecognised(`the client set no linger mark; ${serverSaw(app)}`);
  // Still open at the mark: the client left `async with` without closing the connection.
  const lingering = connections.filter((c) => openAt(c, linger));
  if (lingering.length) {
    const when = lingering.map((c) => (c.closedAt === undefined ? 'never closed' : `closed ${((c.closedAt - linger) / 1000).toFixed(2)} s after`)).join(', ');
    return reproduced(
      `${pattern} served all ${cycles} cycles, but ${lingering.length} of ${connections.length} connection(s) were still open when ` +
        `every client had been closed (server clock mark at ${(linger / 1000).toFixed(2)} s; ${when})`,
    );
  }
  const byClient = connections.filter((c) => c.closedBy === 'client').length;
  return fixed(
    `${pattern} served all ${cycles} cycles with hard limit ${hardLimit}; the server saw ${connections.length} connection(s), ` +
      `peak ${peak} open at once, all closed before the client's linger mark (${byClient} by the client's FIN)` +
      (late.length ? `; the answer to cycle(s) ${late.join(', ')} came after the client's read timeout, the server having received the request` : ''),
  );
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}
