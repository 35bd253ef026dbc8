// Client inputs beyond specs typed on the command line: lock files (--requirements FILE, or git:REF:PATH
// for a file at a git ref), read through the environment cache's own uv for its interpreter.
import { family } from '../families.ts';
import { existsSync, statSync } from 'node:fs';
import { clientsFromLock, LockFileError, readLockSource } from '../lock-files.ts';
import { clientsFromNpmLock, npmLockFormat } from '../npm-lock-files.ts';
import type { EnvironmentCache } from '../runtime/python-env.ts';
import { type ClientSpec, parseClientSpec } from '../spec.ts';
import { openCache, type RuntimeOptions } from './targets.ts';

/**
 * An input that names a lock file (by its extension, or an existing regular file) or git:REF:PATH is a
 * lock; anything else is a client spec. A folder named like a package (a vendored `httpx/`) stays a spec.
 */
export function isLockInput(input: string): boolean {
  return input.startsWith('git:') || /\.(txt|toml|lock)$|(^|\/)(package-lock\.json|npm-shrinkwrap\.json|pnpm-lock\.yaml)$/.test(input) || (existsSync(input) && statSync(input).isFile());
}

/** Whether a lock input is a Node project's (package-lock.json, pnpm-lock.yaml): read without any Python. */
function isNpmLock(input: string): boolean {
  const git = /^git:[^:]+:(.+)$/.exec(input);
  return npmLockFormat(git ? git[1]! : input) !== null;
}

/** The client specs one lock file pins (one per client it names), for the cache's interpreter. */
export async function lockSpecs(file: string, cache: EnvironmentCache): Promise<ClientSpec[]> {
  const uv = await cache.uv();
  if (!uv) throw new LockFileError('reading a lock file needs uv (unset REGRESS_INSTALLER=pip, or put uv on PATH)');
  return clientsFromLock(await readLockSource(file), { uv, python: cache.python.path });
}

/** The client specs the given lock files pin, in the order given. */
export async function lockedSpecs(files: string[], options: RuntimeOptions): Promise<ClientSpec[]> {
  if (files.length === 0) return [];
  if (options.runtime === 'container') {
    throw new LockFileError('--requirements needs the venv runtime: a lock\'s pins are read for the interpreter that installs them');
  }
  const cache = files.some((f) => !isNpmLock(f)) ? await openCache(options) : null;
  const specs: ClientSpec[] = [];
  for (const file of files) specs.push(...(isNpmLock(file) ? clientsFromNpmLock(await readLockSource(file)) : await lockSpecs(file, cache!)));
  return specs;
}

/** One client from an argument that takes a spec or a lock (verify's --broken and --fixed). */
export async function singleClient(input: string, options: RuntimeOptions): Promise<ClientSpec> {
  if (!isLockInput(input)) return parseClientSpec(input);
  const all = await lockedSpecs([input], options);
  // A requests lock pins urllib3 too: urllib3 is then requests' companion, not a second client here.
  const companions = new Set(all.flatMap((s) => family(s.family).companions));
  const specs = all.filter((s) => !companions.has(family(s.family).distribution));
  if (specs.length !== 1) throw new LockFileError(`${input} pins ${specs.map((s) => s.module).join(' and ')}: name one client here (a spec)`);
  return specs[0]!;
}
