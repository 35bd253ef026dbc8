// Work to undo when a run ends early (Ctrl-C): containers to remove, for example. Normal ends dispose
// their resources themselves; these hooks are the interrupt path.
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
