// What scenario folders import: a typed identity for definitions, a one-call server setup, and small
// readers for client steps and server observations that judges share.
import { makeClock, type ServerObservations } from '../fixtures/connection-tracker.ts';
import { type HttpFixture, type HttpFixtureOptions, startHttpFixture } from '../fixtures/http-server.ts';
import type { CaseFixture, ClientReport, ClientStep, Judgement, ScenarioDefinition } from './types.ts';

export function defineScenario(definition: ScenarioDefinition): ScenarioDefinition {
  return definition;
}

/**
 * Start named servers on one fixture clock and build the client's input from their URLs. If a later
 * server fails to start, the ones already listening are closed.
 */
export async function serveHttp(
  servers: Record<string, HttpFixtureOptions>,
  input: (running: Record<string, HttpFixture>) => Record<string, unknown>,
): Promise<CaseFixture> {
  const clock = makeClock();
  const running: Record<string, HttpFixture> = {};
  try {
    for (const [name, options] of Object.entries(servers)) running[name] = await startHttpFixture(clock, options);
  } catch (error) {
    await Promise.all(Object.values(running).map((s) => s.close()));
    throw error;
  }
  return {
    input: input(running),
    observe: () => Object.fromEntries(Object.entries(running).map(([name, s]) => [name, s.observe()])),
    now: clock,
    close: async () => {
      await Promise.all(Object.values(running).map((s) => s.close()));
    },
  };
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

export function ok200(step: ClientStep | undefined): boolean {
  return Boolean(step?.ok && step.status === 200);
}

export function kindOf(step: ClientStep | undefined): string | undefined {
  return step?.error?.kind;
}
