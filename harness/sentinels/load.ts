// Sentinels are discovered like scenarios: scenarios/<id>/sentinels.ts, when present, exports them.
import { pathToFileURL } from 'node:url';
import { scenarioModule } from '../scenarios.ts';
import type { Scenario } from '../types.ts';
import type { Sentinel } from './definition.ts';

export interface ScenarioSentinel {
  /** The scenario whose folder declares the sentinel. */
  scenario: Scenario;
  sentinel: Sentinel;
}

/** A case a sentinel expects to be reproduced, resolved to its scenario. */
export interface ExpectedCase {
  scenario: Scenario;
  case: string;
}

export class SentinelDefinitionError extends Error {}

export async function loadSentinels(scenarios: Scenario[]): Promise<ScenarioSentinel[]> {
  const loaded = await Promise.all(
    scenarios.map(async (scenario) => {
      // sentinels.ts in a checkout, sentinels.js in the installed package.
      const file = scenarioModule(scenario.dir, 'sentinels');
      if (!file) return [];
      const module = (await import(pathToFileURL(file).href)) as { default?: Sentinel[] };
      if (!Array.isArray(module.default)) {
        throw new SentinelDefinitionError(`scenarios/${scenario.meta.id}/sentinels.ts must export default defineSentinels([...])`);
      }
      return module.default.map((sentinel) => ({ scenario, sentinel }));
    }),
  );
  return loaded.flat();
}

/** `case` names a case of the declaring scenario, `scenario/case` one of another; unknown names are the author's mistake. */
export function resolveExpected(names: string[], declaring: Scenario, all: Scenario[], sentinelId: string): ExpectedCase[] {
  return names.map((name) => {
    const [scenarioId, caseName] = name.includes('/') ? (name.split('/', 2) as [string, string]) : [declaring.meta.id, name];
    const scenario = all.find((s) => s.meta.id === scenarioId);
    if (!scenario || !scenario.cases.some((c) => c.name === caseName)) {
      throw new SentinelDefinitionError(`sentinel ${sentinelId} of ${declaring.meta.id} expects '${name}', which is no case of any scenario`);
    }
    return { scenario, case: caseName };
  });
}
