// regress.config.json: a project's settings, so its scenario folders need not be typed on every command.
// Found from the working directory upwards (the nearest one wins, as package.json is found); paths in it
// are relative to the file. A file that cannot be used is bad input, never silently ignored: a gate that
// quietly dropped the project's scenarios would pass without them.
//
//   { "scenarios": ["scenarios", "../shared/regress-scenarios"] }
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export const CONFIG_FILE = 'regress.config.json';

export class ConfigError extends Error {}

export interface ProjectConfig {
  /** The file read, absolute. */
  file: string;
  /** Scenario folders, absolute (resolved against the file's folder). */
  scenarios: string[];
}

const KEYS = ['scenarios'];

/** The nearest regress.config.json at or above `from`, or null when there is none. */
export function findConfigFile(from = process.cwd()): string | null {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    const candidate = join(dir, CONFIG_FILE);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return null;
  }
}

export async function readProjectConfig(file: string): Promise<ProjectConfig> {
  let data: unknown;
  try {
    data = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`${file}: ${(error as Error).message.split('\n')[0]}`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new ConfigError(`${file}: expected a JSON object such as {"scenarios": ["scenarios"]}`);
  }
  const unknown = Object.keys(data).find((k) => !KEYS.includes(k));
  if (unknown) throw new ConfigError(`${file}: unknown key '${unknown}' (known: ${KEYS.join(', ')})`);
  const scenarios = (data as { scenarios?: unknown }).scenarios ?? [];
  if (!Array.isArray(scenarios) || scenarios.some((s) => typeof s !== 'string' || s.trim() === '')) {
    throw new ConfigError(`${file}: "scenarios" must be a list of folder paths, e.g. ["scenarios"]`);
  }
  return { file, scenarios: (scenarios as string[]).map((s) => resolve(dirname(file), s)) };
}

/** The project's config found from `from` upwards, or null. */
export async function findProjectConfig(from = process.cwd()): Promise<ProjectConfig | null> {
  const file = findConfigFile(from);
  return file ? readProjectConfig(file) : null;
}
