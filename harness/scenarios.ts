// Scenarios are discovered from their folders: adding one touches only scenarios/<id>/. Besides regress's
// own catalogue, a project keeps its scenarios in its own repository (`--scenarios DIR`,
// regress.config.json); `loadCatalogue` is the one loader every command calls, with those folders.
import { existsSync, readdirSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { defaultFamily } from './families.ts';
import { resolveKitToThisRegress } from './kit-resolution.ts';
import { BoundedLoads } from './scenario-load-bound.ts';
import type { Expectation, Scenario, ScenarioDefinition } from './types.ts';

export const SCENARIOS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'scenarios');

export class UnknownScenarioError extends Error {}

/** A project's scenario folder that cannot be used (missing, empty, a broken module, a clashing id): bad input. */
export class ScenarioSourceError extends Error {}

/** Scenario folders of the project loaded in this process (the container runtime mounts them too). */
const projectScenarioDirs = new Set<string>();

export function loadedProjectScenarioDirs(): string[] {
  return [...projectScenarioDirs];
}

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

/** regress's own catalogue (or the scenario folders directly under `root`). */
export async function loadScenarios(root = SCENARIOS_DIR): Promise<Scenario[]> {
  const scenarios = await Promise.all((await scenarioFolders(root)).map((dir) => loadScenario(dir)));
  return scenarios.sort(byId);
}

/**
 * Every scenario a command sees: regress's catalogue plus the project's folders. Each folder holds
 * scenario folders (`DIR/<id>/scenario.ts`) or is one itself. A folder that does not exist or holds no
 * scenario, a module that does not load, and an id used twice are bad input (ScenarioSourceError).
 */
export async function loadCatalogue(projectDirs: readonly string[] = []): Promise<Scenario[]> {
  // regress's own catalogue named as a project folder (`--scenarios scenarios` run inside a checkout of
  // regress, where `regress new` writes into it) is already loaded: it is not a second copy of each id.
  const roots = [...new Set(projectDirs.map((d) => resolve(d)))].filter((d) => d !== resolve(SCENARIOS_DIR));
  // A project's scenario imports `regress/kit`: it must get this regress's kit, installed or checked out.
  if (roots.length) resolveKitToThisRegress();
  const folders: [dir: string, root: string][] = [];
  for (const root of roots) for (const dir of await projectFolders(root)) folders.push([dir, root]);
  const builtIn = await loadScenarios();
  // Bounded: a module that never finishes loading is named, not waited for (scenario-load-bound.ts).
  const bounded = new BoundedLoads();
  const project: Scenario[] = [];
  try {
    for (const [dir, root] of folders) project.push(await loadScenario(dir, root, bounded));
  } finally {
    bounded.stop();
  }
  const seen = new Map(builtIn.map((s) => [s.meta.id, s]));
  for (const scenario of project) {
    const other = seen.get(scenario.meta.id);
    if (other && !other.origin) {
      throw new ScenarioSourceError(`scenario id '${scenario.meta.id}' of ${scenario.dir} clashes with regress's built-in scenario of that id: rename the folder (the folder name is the id)`);
    }
    if (other) throw new ScenarioSourceError(`scenario id '${scenario.meta.id}' is defined twice: ${other.dir} and ${scenario.dir}`);
    seen.set(scenario.meta.id, scenario);
  }
  for (const s of project) projectScenarioDirs.add(s.dir);
  return [...builtIn, ...project].sort(byId);
}

/** The scenario folders of a project's folder: itself when it is one, else its subfolders that are. */
async function projectFolders(root: string): Promise<string[]> {
  const info = await stat(root).catch(() => null);
  if (!info) throw new ScenarioSourceError(`scenario folder ${root} does not exist`);
  if (!info.isDirectory()) throw new ScenarioSourceError(`scenario folder ${root} is not a folder`);
  if (scenarioModule(root)) return [root];
  const dirs = await scenarioFolders(root);
  if (!dirs.length) throw new ScenarioSourceError(`scenario folder ${root} holds no scenario (no <id>/scenario.ts in it)`);
  return dirs;
}

async function scenarioFolders(root: string): Promise<string[]> {
  const entries = await readdir(root, { withFileTypes: true });
  return entries.filter((e) => e.isDirectory() && scenarioModule(join(root, e.name))).map((e) => join(root, e.name));
}

/** Load one scenario folder; `origin` is the project folder it came from (none for the catalogue). */
async function loadScenario(dir: string, origin?: string, bounded?: BoundedLoads): Promise<Scenario> {
  const file = scenarioModule(dir)!;
  const id = basename(dir);
  // The catalogue's own mistakes are internal errors; a project's are its input, reported in one line.
  const Failure = origin ? ScenarioSourceError : Error;
  let definition: ScenarioDefinition | undefined;
  const load = () => import(pathToFileURL(file).href) as Promise<{ default?: ScenarioDefinition }>;
  try {
    definition = (await (bounded ? bounded.load(file, load, (message) => new ScenarioSourceError(message)) : load())).default;
  } catch (error) {
    if (error instanceof ScenarioSourceError) throw error;
    if (!origin) throw error;
    const message = String((error as Error).message ?? error).split('\n')[0];
    throw new ScenarioSourceError(`cannot load ${file}: ${message}`);
  }
  if (!definition?.meta || !Array.isArray(definition.cases)) {
    throw new Failure(`${file} must export default defineScenario({ meta, cases })`);
  }
  if (definition.meta.id !== id) {
    throw new Failure(`${file} declares id '${definition.meta.id}'; the folder name is the id ('${id}')`);
  }
  const programs = clientPrograms(dir);
  if (Object.keys(programs).length === 0) {
    throw new Failure(`${dir} holds no client program: add clients/<family>.py or .mjs (e.g. clients/httpx.py, clients/undici.mjs)`);
  }
  return { ...definition, dir, programs, ...(origin ? { origin } : {}) };
}

/**
 * The folder's client programs by contract program name: `clients/<name>.py`. A folder from before client
 * families holds one `client.py`, a program of the default family (httpx's: projects keep working unchanged).
 */
export function clientPrograms(dir: string): Record<string, string> {
  const folder = join(dir, 'clients');
  const programs: Record<string, string> = {};
  if (existsSync(folder)) {
    for (const file of readdirSync(folder).sort()) {
      // Python families' programs are .py, npm families' ES modules .mjs (the family record says which).
      const match = /^([a-z][a-z0-9-]*)\.(py|mjs)$/.exec(file);
      if (match) programs[match[1]!] = join(folder, file);
    }
  }
  if (Object.keys(programs).length === 0 && existsSync(join(dir, 'client.py'))) programs[defaultFamily().contract.program] = join(dir, 'client.py');
  return programs;
}

const byId = (a: Scenario, b: Scenario): number => a.meta.id.localeCompare(b.meta.id);

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
