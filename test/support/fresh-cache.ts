// A fresh harness cache for a test that must install or damage environments without touching the machine's.
import { existsSync } from 'node:fs';
import { mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { defaultCacheDir } from '../../harness/runtime/python-env.ts';

/** A fresh cache folder under `parent` that borrows the machine's bootstrapped uv (when there is one), so no test waits for it. */
export async function freshCache(parent: string, name: string): Promise<string> {
  const root = join(parent, name);
  await mkdir(join(root, 'tools'), { recursive: true });
  const shared = join(defaultCacheDir(), 'tools', 'uv');
  if (existsSync(join(shared, 'bin', 'uv'))) await symlink(shared, join(root, 'tools', 'uv'));
  return root;
}
