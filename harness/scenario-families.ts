// Which client families a scenario covers, and its status for each: a scenario holds one client program per
// contract program (clients/httpx.py serves httpx and its fork httpx2), and a family without a program of
// its own in the folder is not covered: its cases are not run for that family.
import { type ClientFamily, families, programExtension } from './families.ts';
import type { Scenario, ScenarioStatus } from './types.ts';

/** The client program a family runs for this scenario, or undefined when the scenario does not cover it. */
export function programFor(scenario: Pick<Scenario, 'programs'>, f: ClientFamily): string | undefined {
  return scenario.programs[f.contract.program];
}

/** The families the scenario covers, in id order. */
export function coveredFamilies(scenario: Pick<Scenario, 'programs'>): ClientFamily[] {
  return families().filter((f) => programFor(scenario, f) !== undefined);
}

/** The scenario's status for one family (`historic` unless its record says otherwise). */
export function statusFor(scenario: Pick<Scenario, 'meta'>, familyId: string): ScenarioStatus {
  const status = scenario.meta.status;
  if (typeof status === 'string') return status;
  return status?.[familyId] ?? 'historic';
}

/** `open-upstream` when it is open for any family it covers: the scenario as a whole is then a known failure somewhere. */
export function overallStatus(scenario: Pick<Scenario, 'meta' | 'programs'>): ScenarioStatus {
  return coveredFamilies(scenario).some((f) => statusFor(scenario, f.id) === 'open-upstream') ? 'open-upstream' : 'historic';
}

/** `httpx, httpx2 (open upstream), requests`: the families and where the failure is still open. */
export function familiesLabel(scenario: Pick<Scenario, 'meta' | 'programs'>): string {
  return coveredFamilies(scenario)
    .map((f) => (statusFor(scenario, f.id) === 'open-upstream' ? `${f.id} (open upstream)` : f.id))
    .join(', ');
}

/** The reason a case is not-applicable for a family the scenario has no program for (runner, soak, run's check). */
export function notCoveredReason(scenarioId: string, f: ClientFamily): string {
  return `scenario ${scenarioId} does not cover the ${f.id} family (it has no clients/${f.contract.program}${programExtension(f)})`;
}

export function isNotCoveredReason(reason: string): boolean {
  return /^scenario \S+ does not cover the \S+ family \(it has no clients\//.test(reason);
}
