// execa, loaded on first use. Importing it costs about 0.17 s of CPU (its dependency graph), which every
// command paid at start-up although a run whose environments are cached starts no process through it
// (clients run in warm workers, spawned directly).
let loaded: Promise<typeof import('execa')['execa']> | undefined;

export function loadExeca(): Promise<typeof import('execa')['execa']> {
  return (loaded ??= import('execa').then((m) => m.execa));
}
