// Turn the command line's runtime options into client targets: specs in local environments (venv), an
// image's own client (--runtime container --image), or specs installed per Python version in a base
// image (--runtime container --python).
import { family, FamilyError } from '../families.ts';
import { NpmCache, npmTarget } from '../runtime/npm-env.ts';
import { phase } from '../runtime/phase-log.ts';
import { defaultCacheDir, EnvironmentCache, findPython, venvTarget } from '../runtime/python-env.ts';
import type { ClientTarget } from '../runtime/target.ts';
import { BadInput } from '../session.ts';
import { type ClientSpec, onNode, SpecError } from '../spec.ts';

export interface RuntimeOptions {
  runtime: 'venv' | 'container';
  python?: string[];
  image?: string[];
  imagePython?: string;
  imageFamily?: string;
  /** Node releases every npm client runs on (`--node 20 --node 24`); none: each spec's own, else the harness's. */
  node?: string[];
}

/**
 * Every npm spec once per Node release (`--node 20 --node 24`): for node:http and the built-in fetch the
 * release under test is that Node release itself. Python specs are as given; a spec that names its own
 * Node release keeps it. --node with no npm client in the run is bad input (it would change nothing).
 */
export function onNodeReleases(specs: ClientSpec[], releases: string[] = []): ClientSpec[] {
  if (releases.length === 0) return specs;
  const npm = specs.filter((s) => family(s.family).runtime === 'npm');
  if (npm.length === 0) throw new BadInput(`--node applies to npm clients; none of ${specs.map((s) => s.label).join(', ') || 'the clients'} is one`);
  // A spec that names its own Node release would silently not take --node: one or the other.
  const own = npm.find((s) => s.node);
  if (own) throw new BadInput(`'${own.label}' names its Node release; --node applies to specs that do not: drop one of them`);
  try {
    const expanded = specs.flatMap((s) => (family(s.family).runtime === 'npm' ? [...new Set(releases)].map((r) => onNode(s, r)) : [s]));
    // `--node 20 --node 20`, or two spellings giving one label, run once.
    return expanded.filter((s, i) => expanded.findIndex((o) => o.label === s.label) === i);
  } catch (error) {
    if (error instanceof SpecError) throw new BadInput(`--node: ${error.message}`);
    throw error;
  }
}

let npmCache: NpmCache | undefined;

/** The npm runtime's cache, in the same cache root as the Python environments; swept once per process. */
export async function openNpmCache(): Promise<NpmCache> {
  if (npmCache) return npmCache;
  const cache = new NpmCache(defaultCacheDir());
  await cache.sweep();
  return (npmCache = cache);
}

export interface Targets {
  targets: ClientTarget[];
  dispose(): Promise<void>;
}

export async function openCache(options: Pick<RuntimeOptions, 'python'>): Promise<EnvironmentCache> {
  if ((options.python?.length ?? 0) > 1) throw new BadInput('the venv runtime takes one --python interpreter');
  const requested = options.python?.[0];
  // A bare version ("3.13") names the interpreter on PATH: python3.13.
  const interpreter = requested && /^\d+\.\d+$/.test(requested) ? `python${requested}` : requested;
  const cache = new EnvironmentCache(await findPython(interpreter));
  // Checked before anything runs: an unwritable cache is one line, not an error per case.
  await cache.checkWritable();
  await cache.sweep();
  phase('cache checked and swept', cache.root);
  return cache;
}

/**
 * Labels name a local build by its file name; two different files with one name in the same run would
 * share a label (and a column), so those keep their full path.
 */
function distinctLabels(specs: ClientSpec[]): ClientSpec[] {
  return specs.map((spec) => {
    const twin = specs.find((other) => other !== spec && other.label === spec.label && other.localFiles.join() !== spec.localFiles.join());
    return twin ? { ...spec, label: spec.requirements.map((r) => r.text).join(' ') } : spec;
  });
}

export async function clientTargets(given: ClientSpec[], explicitClients: boolean, options: RuntimeOptions): Promise<Targets> {
  const specs = distinctLabels(onNodeReleases(given, options.node));
  const isNpm = (s: ClientSpec): boolean => family(s.family).runtime === 'npm';
  if (options.runtime !== 'container') {
    if (options.image?.length) throw new BadInput('--image needs --runtime container');
    if (options.imageFamily) throw new BadInput('--image-family needs --runtime container --image');
    // Python's cache only when a Python client runs: an npm-only run needs no interpreter.
    const cache = specs.some((s) => !isNpm(s)) ? await openCache(options) : null;
    const npm = specs.some(isNpm) ? await openNpmCache() : null;
    const targets = specs.map((s) => (isNpm(s) ? npmTarget(npm!, s) : venvTarget(cache!, s)));
    // The first client's worker starts now (a Python importing its client, ~0.25 s of CPU) while the
    // command goes on loading its scenarios: the first case needs it. One only: on a loaded 2-core machine,
    // three workers starting here slowed the scenario loading they race with, and the first case started
    // at 0.95-1.67 s instead of 0.64-1.03 s.
    targets[0]?.warmUp?.();
    return { targets, dispose: async () => undefined };
  }
  const npmSpecs = specs.filter(isNpm);
  if (npmSpecs.length) throw new BadInput(`${npmSpecs[0]!.label}: npm clients run in the local runtime (--runtime venv), not in a container`);
  if (options.imageFamily) checkFamily(options.imageFamily);
  // Loaded only for the container runtime (its engine client and image recipes are not the venv run's).
  const { ContainerPool, imageTarget, pythonTarget } = await import('../container/container-runtime.ts');
  const pool = new ContainerPool();
  const dispose = () => pool.dispose();
  if (options.image?.length) {
    if (explicitClients) throw new BadInput("--client and --image exclude each other: an image is tested with the client installed in it");
    if (options.python?.length) {
      throw new BadInput('--python and --image exclude each other: an image is tested with its own Python (name its interpreter with --image-python)');
    }
    return { targets: options.image.map((image) => imageTarget(pool, image, options.imagePython, options.imageFamily)), dispose };
  }
  if (options.imageFamily) throw new BadInput('--image-family needs --image (a --client spec names its family itself)');
  if (!options.python?.length) {
    throw new BadInput('--runtime container needs --image IMAGE (its own client) or --python VERSION (install --client specs for that Python)');
  }
  return {
    targets: options.python.flatMap((version) => specs.map((spec) => pythonTarget(pool, version, spec))),
    dispose,
  };
}

/** An unknown --image-family is one line of bad input before any container starts. */
function checkFamily(id: string): void {
  try {
    family(id);
  } catch (error) {
    if (error instanceof FamilyError) throw new BadInput(`--image-family: ${error.message}`);
    throw error;
  }
}
