// Client inputs beyond specs typed on the command line: lock files (--requirements FILE, or git:REF:PATH
// for a file at a git ref), read through the environment cache's own uv for its interpreter.
import { clientsFromLock, LockFileError, readLockSource } from '../lock-files.ts';
import type { EnvironmentCache } from '../runtime/python-env.ts';
import type { ClientSpec } from '../spec.ts';
import { openCache, type RuntimeOptions } from './targets.ts';

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
  const cache = await openCache(options);
  const specs: ClientSpec[] = [];
  for (const file of files) specs.push(...(await lockSpecs(file, cache)));
  return specs;
}
