// One soak iteration seen as if it had been a run of its own, so the case's judge can give it a verdict:
// the server's observations cut to the iteration's window on the fixture clock (connections it opened,
// requests it made, anything still open at its end counted as open), and its own marks, which the driver
// sent as `i<N>.<name>` because the mark server keeps only the first mark of a name.
import { clientEndedAt, type ConnectionRecord, peakOverlap, type ServerObservations } from '../../fixtures/connection-tracker.ts';

export interface Window {
  start: number;
  end: number;
}

/** The window of iteration n from the driver's `soak.<n>.start` / `soak.<n>.end` marks. */
export function windowOf(marks: Record<string, number>, n: number): Window | null {
  const start = marks[`soak.${n}.start`];
  const end = marks[`soak.${n}.end`];
  return start === undefined || end === undefined ? null : { start, end };
}

/** The scenario's own marks of iteration n, under their plain names. */
export function marksOf(marks: Record<string, number>, n: number): Record<string, number> {
  const prefix = `i${n}.`;
  return Object.fromEntries(Object.entries(marks).filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
}

/** A connection as it stood at `end`: a close after the window is not seen yet. */
function asOf(c: ConnectionRecord, end: number): ConnectionRecord {
  const copy = { ...c };
  if (copy.clientFinAt !== undefined && copy.clientFinAt > end) delete copy.clientFinAt;
  if (copy.closedAt !== undefined && copy.closedAt > end) {
    delete copy.closedAt;
    delete copy.closedBy;
  }
  return copy;
}

type Timed = { openedAt?: number; at?: number };

/** One server's observations cut to a window. Protocol layers' extra lists (HTTP/2 sessions, streams) too. */
export function sliceObservations<O extends ServerObservations>(obs: O, w: Window): O {
  const connections = obs.connections.filter((c) => c.openedAt >= w.start && c.openedAt <= w.end).map((c) => asOf(c, w.end));
  const ids = new Set(connections.map((c) => c.id));
  const sliced: Record<string, unknown> = { ...(obs as unknown as Record<string, unknown>) };
  for (const [key, value] of Object.entries(sliced)) {
    if (!Array.isArray(value) || key === 'connections' || key === 'requests' || key === 'foreign') continue;
    // e.g. h2 `sessions` and `streams`: keep the records of the window's connections.
    sliced[key] = (value as (Timed & { connection?: number })[]).filter((r) =>
      r.connection !== undefined ? ids.has(r.connection) : (r.openedAt ?? r.at ?? w.start) >= w.start && (r.openedAt ?? r.at ?? w.end) <= w.end,
    );
  }
  return {
    ...(sliced as O),
    connections,
    requests: obs.requests.filter((r) => r.at >= w.start && r.at <= w.end),
    peakConcurrentConnections: peakOverlap(connections),
    openAtObservation: connections.filter((c) => c.closedAt === undefined).length,
    tlsFailures: connections.filter((c) => c.tls?.outcome === 'failed').length,
    foreign: [],
  };
}

/** Client connections (any server) still open for the client at `at`: the server's side of a leak. */
export function openConnectionsAt(server: Record<string, ServerObservations>, at: number): number {
  let open = 0;
  for (const obs of Object.values(server)) {
    for (const c of obs.connections) if (c.openedAt <= at && (clientEndedAt(c) ?? Number.POSITIVE_INFINITY) > at) open++;
  }
  return open;
}
