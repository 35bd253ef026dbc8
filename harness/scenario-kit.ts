// What scenario folders import: a typed identity for definitions, a one-call server setup, and small
// readers for client steps and server observations that judges share.
import { startCaseFixture } from '../fixtures/case-fixture.ts';
import { clientEndedAt, type ConnectionRecord, type FaultRecord, type ServerObservations } from '../fixtures/connection-tracker.ts';
import { type HttpFixture, type HttpFixtureOptions, startHttpFixture } from '../fixtures/http-server.ts';
import type { CaseFixture, ClientReport, ClientStep, Judgement, ScenarioDefinition } from './types.ts';

// The fault vocabulary (fixtures/faults/vocabulary.ts): a scenario names faults in serveHttp's (or
// serveH2's) server options, `faults: {routes: {'/slow': delay(1000)}, connection: [idleClose(5000)]}`,
// and reads what they hit from the server's observations (`faults`, see faultsOf).
export {
  closeAfterBytes,
  type ConnectionFault,
  delay,
  delayBody,
  drip,
  dropAfterFirst,
  failFirst,
  type Fault,
  type FaultPlan,
  H2_ERROR_CODES,
  h2Reset,
  hang,
  idleClose,
  reset,
  type RouteFault,
  tlsRefuse,
  tlsStall,
} from '../fixtures/faults/vocabulary.ts';
export type { FaultRecord } from '../fixtures/connection-tracker.ts';
// The types a judge signs with, so a scenario folder outside regress imports nothing but this kit.
export type { ClientReport, ClientStep, JudgeInput, Judgement } from './types.ts';

export function defineScenario(definition: ScenarioDefinition): ScenarioDefinition {
  return definition;
}

/**
 * Start named HTTP/1.1 servers on one fixture clock and build the client's input from their URLs. Every
 * case also gets, under `input.regress`, a mark URL on the same clock and the client token its requests
 * carry (fixtures/case-fixture.ts).
 */
export function serveHttp(
  servers: Record<string, HttpFixtureOptions>,
  input: (running: Record<string, HttpFixture>) => Record<string, unknown>,
): Promise<CaseFixture> {
  return startCaseFixture(servers, startHttpFixture, input);
}

export const fixed = (reason: string): Judgement => ({ verdict: 'fixed', reason });
export const reproduced = (reason: string): Judgement => ({ verdict: 'reproduced', reason });
/** The outcome matches neither the documented failure nor the fix: never guess a verdict. */
export const unrecognised = (reason: string): Judgement => ({ verdict: 'error', reason: `unrecognised outcome: ${reason}` });

export function stepsStartingWith(report: ClientReport, prefix: string): ClientStep[] {
  return report.steps.filter((s) => s.name.startsWith(prefix));
}

export function findStep(report: ClientReport, name: string): ClientStep | undefined {
  return report.steps.find((s) => s.name === name);
}

/** "200" or "httpx.PoolTimeout after 1.00 s": how a step ended, for reasons. */
export function outcomeOf(step: ClientStep | undefined): string {
  if (!step) return 'no such step';
  if (step.ok) return `${step.status} after ${step.elapsed.toFixed(2)} s`;
  if (step.cancelled) return `cancelled after ${step.elapsed.toFixed(2)} s`;
  return `${step.error?.type ?? 'error'} after ${step.elapsed.toFixed(2)} s`;
}

export function requestsTo(server: ServerObservations | undefined, prefix: string): ServerObservations['requests'] {
  return (server?.requests ?? []).filter((r) => r.path.startsWith(prefix));
}

/** Distinct connection ids that carried a request whose path starts with prefix. */
export function connectionsCarrying(server: ServerObservations | undefined, prefix: string): number[] {
  return [...new Set(requestsTo(server, prefix).map((r) => r.connection))];
}

/** Still open for the client at `at` (fixture clock): no FIN from it and not closed by then. */
export function openAt(connection: ConnectionRecord | undefined, at: number): boolean {
  return connection !== undefined && (clientEndedAt(connection) ?? Number.POSITIVE_INFINITY) > at;
}

/** The faults a server applied, optionally only those of one kind (`delay`, `idle-close`, ...). */
export function faultsOf(server: ServerObservations | undefined, kind?: string): FaultRecord[] {
  return (server?.faults ?? []).filter((f) => kind === undefined || f.kind === kind);
}

export function ok200(step: ClientStep | undefined): boolean {
  return Boolean(step?.ok && step.status === 200);
}

export function kindOf(step: ClientStep | undefined): string | undefined {
  return step?.error?.kind;
}

/**
 * What one server saw of the client under test, in one clause for a judge's reason: connections, peak
 * open at once, requests, who closed, TLS outcomes, and foreign connections left out of the verdict.
 */
export function serverSaw(server: ServerObservations | undefined): string {
  if (!server) return 'the server recorded nothing';
  const c = server.connections;
  const closedBy = (who: string): number => c.filter((x) => x.closedBy === who).length;
  const parts = [
    `the server saw ${c.length} connection(s), peak ${server.peakConcurrentConnections} open at once, ${server.requests.length} request(s)`,
  ];
  const closers = [['client', 'client FIN'], ['client-reset', 'client RST'], ['server', 'server']]
    .filter(([who]) => closedBy(who!) > 0)
    .map(([who, label]) => `${closedBy(who!)} closed by ${label}`);
  if (closers.length) parts.push(closers.join(', '));
  if (c.some((x) => x.tls)) {
    const outcomes = c.map(
      (x) =>
        `${x.tls?.outcome}${x.tls?.protocol ? ` ${x.tls.protocol}` : ''}${x.tls?.cipher ? ` ${x.tls.cipher}` : ''}` +
        `${x.tls?.error ? ` (${x.tls.error})` : ''}${x.tls?.clientCertificate ? ` [client cert CN=${x.tls.clientCertificate}]` : ''}`,
    );
    parts.push(`TLS: ${outcomes.join(', ')}`);
  }
  if (server.foreign.length) parts.push(`${server.foreign.length} foreign connection(s) from other processes ignored`);
  return parts.join('; ');
}
