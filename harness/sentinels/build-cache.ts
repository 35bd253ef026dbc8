// The cache discipline every sentinel builder shares (wheels, npm tarballs): a build happens in a private
// `.building-*` directory and is published with one rename(2), so concurrent runs never see half a build;
// the loser of a race discards its copy and uses the winner's. Folders a killed run left behind are swept.
import { existsSync } from 'node:fs';
import { readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** Publish a finished directory with one rename; when another run got there first, theirs is used. */
export async function publish(tmp: string, dir: string): Promise<void> {
  try {
    await rename(tmp, dir);
  } catch (error) {
    if (!['ENOTEMPTY', 'EEXIST'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
  }
}

/** The one published file of a cache directory whose name ends so, or null. */
export async function fileIn(dir: string, suffix: string): Promise<string | null> {
  if (!existsSync(dir)) return null;
  const found = (await readdir(dir)).find((f) => f.endsWith(suffix) && !f.startsWith('.'));
  return found ? join(dir, found) : null;
}

/**
 * Remove `.building-*` directories under these areas of the cache. Only old ones: a fresh one may belong
 * to a run that is building right now.
 */
export async function sweepBuilding(areas: string[], olderThanMs: number): Promise<void> {
  for (const dir of areas) {
    const names = existsSync(dir) ? await readdir(dir) : [];
    for (const name of names.filter((n) => n.startsWith('.building-'))) {
      const path = join(dir, name);
      const age = Date.now() - (await stat(path).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
      if (age > olderThanMs) await rm(path, { recursive: true, force: true });
    }
  }
}

/** Concurrent callers asking for the same thing share one promise; a failure is not remembered. */
export class OncePerKey {
  readonly #pending = new Map<string, Promise<unknown>>();

  run<T>(key: string, make: () => Promise<T>): Promise<T> {
    let pending = this.#pending.get(key) as Promise<T> | undefined;
    if (!pending) {
      pending = make();
      this.#pending.set(key, pending);
      pending.catch(() => this.#pending.delete(key));
    }
    return pending;
  }
}
