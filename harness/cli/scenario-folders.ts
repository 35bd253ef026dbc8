// Which scenarios a command sees: regress's catalogue plus the project's folders, named by `--scenarios DIR`
// (repeatable, relative to the working directory) or, when none is given, by the nearest
// regress.config.json's "scenarios" (relative to that file). The command line replaces the file's list
// rather than adding to it, so a command can always say exactly which folders it means.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, findProjectConfig } from '../project-config.ts';
import { loadCatalogue } from '../scenarios.ts';
import type { Scenario } from '../types.ts';

export interface ScenarioFolderOptions {
  scenarios?: string[];
}

/** The project's scenario folders, absolute: from the command line, else from regress.config.json. */
export async function projectScenarioFolders(options: ScenarioFolderOptions, cwd = process.cwd()): Promise<string[]> {
  if (options.scenarios?.length) return options.scenarios.map((d) => resolve(cwd, d));
  const config = await findProjectConfig(cwd);
  if (!config) return [];
  // Named with the file, so the user knows where the path came from.
  const missing = config.scenarios.find((d) => !existsSync(d));
  if (missing) throw new ConfigError(`${config.file}: scenario folder ${missing} does not exist`);
  return config.scenarios;
}

/** Every scenario the command may run: the one call every scenario-loading command makes. */
export async function scenariosFor(options: ScenarioFolderOptions): Promise<Scenario[]> {
  return loadCatalogue(await projectScenarioFolders(options));
}
