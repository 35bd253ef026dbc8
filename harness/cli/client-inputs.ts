// Client inputs beyond specs typed on the command line: lock files (--requirements FILE, or git:REF:PATH
// for a file at a git ref), read through the environment cache's own uv for its interpreter.
import { clientsFromLock, LockFileError, readLockSource } from '../lock-files.ts';
import type { ClientSpec } from '../spec.ts';
import { openCache, type RuntimeOptions } from './targets.ts';

/** The client specs the given lock files pin (one per client each file names), in the order given. */
export async function lockedSpecs(files: string[], options: RuntimeOptions): Promise<ClientSpec[]> {
  if (files.length === 0) return [];
  if (options.runtime === 'container') {
    throw new LockFileError('--requirements needs the venv runtime: a lock\'s pins are read for the interpreter that installs them');
  }
  const cache = await openCache(options);
  const uv = await cache.uv();
  if (!uv) throw new LockFileError('reading a lock file needs uv (unset REGRESS_INSTALLER=pip, or put uv on PATH)');
  const specs: ClientSpec[] = [];
  for (const file of files) specs.push(...(await clientsFromLock(await readLockSource(file), { uv, python: cache.python.path })));
  return specs;
}
