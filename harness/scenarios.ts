// Scenarios are discovered from their folders: adding one touches only scenarios/<id>/.
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Expectation, Scenario, ScenarioDefinition } from './types.ts';

export const SCENARIOS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'scenarios');

export class UnknownScenarioError extends Error {}

/**
 * A module of a scenario folder (`scenario`, `sentinels`): name.ts in a checkout (Node strips the types),
 * name.js in the installed package (compiled into dist/, since Node does not strip types inside
 * node_modules). Null when the folder has neither.
 */
export function scenarioModule(dir: string, name = 'scenario'): string | null {
  for (const file of [`${name}.ts`, `${name}.js`]) {
    if (existsSync(join(dir, file))) return join(dir, file);
  }
  return null;
}

/** The scenario folders (id → module file), read without importing any scenario. */
async function scenarioFiles(root: string): Promise<Map<string, string>> {
  const entries = await readdir(root, { withFileTypes: true });
  const files = new Map<string, string>();
  for (const e of entries) {
    const file = e.isDirectory() ? scenarioModule(join(root, e.name)) : null;
    if (file) files.set(e.name, file);
  }
  return files;
}

async function loadOne(root: string, id: string, file: string): Promise<Scenario> {
  const dir = join(root, id);
  const module = (await import(pathToFileURL(file).href)) as { default: ScenarioDefinition };
  const definition = module.default;
  if (definition.meta.id !== id) {
    throw new Error(`scenarios/${id}/${basename(file)} declares id '${definition.meta.id}'; the folder name is the id`);
  }
  return { ...definition, dir, clientProgram: join(dir, 'client.py') };
}

export async function loadScenarios(root = SCENARIOS_DIR): Promise<Scenario[]> {
  const files = await scenarioFiles(root);
  const scenarios = await Promise.all([...files].map(([id, file]) => loadOne(root, id, file)));
  return scenarios.sort((a, b) => a.meta.id.localeCompare(b.meta.id));
}

/**
 * selectScenarios(await loadScenarios(), ids), importing only the named scenarios (each imports its
 * fixtures and judge): a run of one scenario does not pay for loading the catalogue.
 */
export async function loadSelectedScenarios(ids: string[], root = SCENARIOS_DIR): Promise<Scenario[]> {
  if (ids.length === 0) return loadScenarios(root);
  const files = await scenarioFiles(root);
  const unknown = ids.find((id) => !files.has(id));
  if (unknown) throw new UnknownScenarioError(`unknown scenario '${unknown}' (known: ${[...files.keys()].sort().join(', ')})`);
  return Promise.all(ids.map((id) => loadOne(root, id, files.get(id)!)));
}

/** Keep the named scenarios (all when none are named); an unknown id is bad input. */
export function selectScenarios(all: Scenario[], ids: string[]): Scenario[] {
  if (ids.length === 0) return all;
  const known = new Map(all.map((s) => [s.meta.id, s]));
  return ids.map((id) => {
    const scenario = known.get(id);
    if (!scenario) {
      throw new UnknownScenarioError(`unknown scenario '${id}' (known: ${[...known.keys()].join(', ')})`);
    }
    return scenario;
  });
}

export async function loadExpectations(scenario: Scenario): Promise<Expectation[]> {
  const text = await readFile(join(scenario.dir, 'expectations.json'), 'utf8');
  return (JSON.parse(text) as { checks: Expectation[] }).checks;
}
