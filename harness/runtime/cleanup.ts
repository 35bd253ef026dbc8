// Work to undo when a run ends early (Ctrl-C): containers to remove, for example. Normal ends dispose
// their resources themselves; these hooks are the interrupt path.
import { readdir, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';

const hooks = new Set<() => Promise<void>>();

export function registerCleanup(hook: () => Promise<void>): () => void {
  hooks.add(hook);
  return () => hooks.delete(hook);
}

export async function runCleanups(): Promise<void> {
  const pending = [...hooks];
  hooks.clear();
  await Promise.allSettled(pending.map((hook) => hook()));
}

// Leftovers of killed runs. Temporary directories (half-built environments, per-run key folders) carry
// their owner in their name: `<prefix>…-<pid>@<host>-XXXXXX` (mkdtemp's suffix last). A later start
// removes those whose owner is gone: same host and the pid no longer alive, or, when the owner cannot be
// checked (another host or container sharing the directory, a name from before owners were recorded),
// older than LEFTOVER_MAX_AGE_MS, longer than any build may take (installs are killed after 10 minutes).

export const LEFTOVER_MAX_AGE_MS = 6 * 3600_000;

const HOST = hostname().replace(/[^A-Za-z0-9.]+/g, '_');
const OWNER = /-(\d+)@([A-Za-z0-9._]+)-[A-Za-z0-9]{6}$/;

/** The part of a temporary directory's name that says which process made it (mkdtemp adds the rest). */
export function ownerTag(pid = process.pid): string {
  return `${pid}@${HOST}`;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, but another user's.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Remove `dir`'s entries starting with one of `prefixes` whose owner is gone; returns the names removed. */
export async function sweepLeftovers(dir: string, prefixes: string[], maxAgeMs = LEFTOVER_MAX_AGE_MS): Promise<string[]> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of entries) {
    if (!prefixes.some((p) => name.startsWith(p))) continue;
    const owner = OWNER.exec(name);
    let gone: boolean;
    if (owner && owner[2] === HOST) {
      gone = Number(owner[1]) !== process.pid && !isAlive(Number(owner[1]));
    } else {
      const info = await stat(join(dir, name)).catch(() => null);
      gone = info !== null && Date.now() - info.mtimeMs > maxAgeMs;
    }
    if (!gone) continue;
    await rm(join(dir, name), { recursive: true, force: true }).catch(() => undefined);
    removed.push(name);
  }
  return removed;
}
