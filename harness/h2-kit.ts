// What HTTP/2 scenario folders import beside scenario-kit.ts: a one-call setup for HTTP/2 fixtures and
// readers for their stream records. Kept apart from scenario-kit.ts so HTTP/1-only scenarios never load
// node:http2 and the two kits change independently.
import { startCaseFixture } from '../fixtures/case-fixture.ts';
import type { ServerObservations } from '../fixtures/connection-tracker.ts';
import { type H2Fixture, type H2FixtureOptions, type H2Observations, type StreamRecord, startH2Fixture } from '../fixtures/h2-server.ts';
import type { CaseFixture } from './types.ts';

/** Start named HTTP/2 servers on one fixture clock (marks and client token as serveHttp gives them). */
export function serveH2(
  servers: Record<string, H2FixtureOptions>,
  input: (running: Record<string, H2Fixture>) => Record<string, unknown>,
): Promise<CaseFixture> {
  return startCaseFixture(servers, startH2Fixture, input);
}

/** The HTTP/2 view of a server's observations, or undefined when the server was not an HTTP/2 fixture. */
export function h2View(server: ServerObservations | undefined): H2Observations | undefined {
  return server && (server as Partial<H2Observations>).protocol === 'h2' ? (server as H2Observations) : undefined;
}

/** Streams whose path starts with prefix, in the order they opened. */
export function streamsTo(server: H2Observations | undefined, prefix: string): StreamRecord[] {
  return (server?.streams ?? []).filter((s) => s.path.startsWith(prefix));
}

/** "stream 3 reset-by-client (CANCEL) on connection 1": one stream, for reasons. */
export function describeStream(s: StreamRecord): string {
  const code = s.rstName !== undefined ? ` (${s.rstName})` : '';
  return `stream ${s.stream} ${s.outcome}${code} on connection ${s.connection}`;
}
