// A Node project's own lock as client input: package-lock.json (npm lockfile v2 and v3) and pnpm-lock.yaml
// (lockfile v6 and v9), so a gate tests the client release and the dependency closure the project really
// ships. One client spec per npm family whose package the project depends on directly; each installs the
// client at the locked release with every package of its locked closure pinned through npm overrides (axios
// with the follow-redirects the lock holds, as httpx with its locked httpcore).
import { createHash } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { families } from './families.ts';
import type { LockSource } from './lock-files.ts';
import { LockFileError } from './lock-files.ts';
import type { ClientSpec, Requirement } from './spec.ts';
import type { LockInfo } from './types.ts';
import { versionScheme } from './version-schemes.ts';

export type NpmLockFormat = 'package-lock.json' | 'pnpm-lock.yaml';

/** The npm lock format of a file name, or null when it is none (then it may be a Python lock). */
export function npmLockFormat(fileName: string): NpmLockFormat | null {
  const name = fileName.split('/').at(-1)!;
  if (name === 'package-lock.json' || name === 'npm-shrinkwrap.json') return 'package-lock.json';
  if (name === 'pnpm-lock.yaml') return 'pnpm-lock.yaml';
  if (name === 'yarn.lock') throw new LockFileError('yarn.lock is not read by regress: give the project\'s package-lock.json or pnpm-lock.yaml, or name the client release (axios@1.16.0)');
  return null;
}

/** A locked dependency graph: the root's direct dependencies and, per package, its version and dependencies. */
interface LockGraph {
  direct: string[];
  /** name → version of a package as the root resolves it. */
  rootVersion(name: string): string | undefined;
  /** The locked closure of a package at the root: name → version, the package first. */
  closure(name: string): Record<string, string>;
  /** package-lock.json only: the lock's entries of that closure by install path, to install as locked. */
  tree?(name: string): Record<string, Record<string, unknown>>;
}

export function clientsFromNpmLock(source: LockSource): ClientSpec[] {
  const format = npmLockFormat(source.fileName);
  if (!format) throw new LockFileError(`${source.name} is not an npm lock file`);
  const text = source.content.toString('utf8');
  const graph = format === 'package-lock.json' ? packageLockGraph(text, source.name) : pnpmLockGraph(text, source.name);
  const sha256 = createHash('sha256').update(source.content).digest('hex');
  // node:http and the built-in fetch come with the Node release, which a package lock does not pin.
  const clients = families().filter((f) => f.runtime === 'npm' && !f.nodeIsRelease && graph.direct.includes(f.distribution) && graph.rootVersion(f.distribution));
  if (clients.length === 0) {
    const known = families().filter((f) => f.runtime === 'npm' && !f.nodeIsRelease).map((f) => f.distribution);
    throw new LockFileError(`${source.name} has no known client (${known.join(', ')}) among the project's direct dependencies`);
  }
  return clients.map((f) => {
    const closure = graph.closure(f.distribution);
    const version = closure[f.distribution]!;
    const requirements: Requirement[] = Object.entries(closure).map(([name, v]) => ({ name, extras: [], specifier: v, text: `${name}@${v}`, label: `${name}@${v}` }));
    const lock: LockInfo = { file: source.name, format, sha256, pins: closure, closure };
    const tree = graph.tree?.(f.distribution);
    return {
      ...(tree ? { npmLockTree: tree } : {}),
      label: `${f.distribution}@${version} (${source.name} ${sha256.slice(0, 8)})`,
      requirements,
      family: f.id,
      module: f.module,
      pinned: true,
      localFiles: [],
      lock,
    };
  });
}

interface PackageLockEntry {
  version?: string;
  link?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

/** npm's lockfile v2/v3: `packages` keyed by install path (node_modules/a/node_modules/b). */
function packageLockGraph(text: string, name: string): LockGraph {
  let lock: { lockfileVersion?: number; packages?: Record<string, PackageLockEntry> };
  try {
    lock = JSON.parse(text) as typeof lock;
  } catch (error) {
    throw new LockFileError(`${name} is not JSON: ${(error as Error).message}`);
  }
  if (!lock.packages || (lock.lockfileVersion ?? 0) < 2) {
    throw new LockFileError(`${name} is lockfile version ${lock.lockfileVersion ?? '?'}; regress reads versions 2 and 3 (npm 7 and later: run \`npm install --package-lock-only\` with a current npm)`);
  }
  const packages = lock.packages;
  const root = packages[''] ?? {};
  const direct = Object.keys({ ...root.dependencies, ...root.devDependencies, ...root.optionalDependencies });
  // Node's resolution: from the folder at `path`, a dependency is path/node_modules/dep, else up the tree.
  const resolveFrom = (path: string, dep: string): string | undefined => {
    let at = path;
    for (;;) {
      const candidate = `${at ? `${at}/` : ''}node_modules/${dep}`;
      if (packages[candidate]) return candidate;
      if (!at) return undefined;
      const cut = at.lastIndexOf('/node_modules/');
      at = cut === -1 ? '' : at.slice(0, cut);
    }
  };
  return {
    direct,
    rootVersion: (dep) => packages[`node_modules/${dep}`]?.version,
    closure: (dep) => {
      const found: Record<string, string> = {};
      for (const path of reachable(dep)) {
        const pkg = path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
        // The version nearest the client names the pin in results; the tree keeps every locked copy.
        found[pkg] ??= packages[path]!.version!;
      }
      return found;
    },
    tree: (dep) => {
      const entries: Record<string, Record<string, unknown>> = {};
      for (const path of reachable(dep)) {
        // Which dependency type pulled it in is the project's business: here the client is the only dependency.
        const { dev: _dev, devOptional: _devOptional, peer: _peer, extraneous: _extraneous, ...entry } = packages[path] as Record<string, unknown>;
        entries[path] = entry;
      }
      return entries;
    },
  };

  /** The install paths of a root dependency's closure, breadth first, as Node would resolve each require. */
  function reachable(dep: string): string[] {
    const order: string[] = [];
    const queue = [`node_modules/${dep}`];
    const seen = new Set<string>();
    while (queue.length) {
      const path = queue.shift()!;
      if (seen.has(path)) continue;
      seen.add(path);
      const entry = packages[path];
      if (!entry?.version || entry.link) continue;
      order.push(path);
      for (const d of Object.keys({ ...entry.dependencies, ...entry.optionalDependencies })) {
        const at = resolveFrom(path, d);
        if (at) queue.push(at);
      }
    }
    return order;
  }
}

/** pnpm's lockfile v6 (`packages['/name@1.2.3']`) and v9 (`snapshots['name@1.2.3']`). */
function pnpmLockGraph(text: string, name: string): LockGraph {
  let lock: {
    lockfileVersion?: string | number;
    importers?: Record<string, { dependencies?: Record<string, { version: string } | string>; devDependencies?: Record<string, { version: string } | string> }>;
    dependencies?: Record<string, { version: string } | string>;
    devDependencies?: Record<string, { version: string } | string>;
    packages?: Record<string, { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> }>;
    snapshots?: Record<string, { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> }>;
  };
  try {
    lock = parseYaml(text) as typeof lock;
  } catch (error) {
    throw new LockFileError(`${name} is not YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  const major = Number(String(lock?.lockfileVersion ?? '').split('.')[0]);
  if (!(major >= 6)) throw new LockFileError(`${name} is lockfile version ${lock?.lockfileVersion ?? '?'}; regress reads pnpm lockfile versions 6 and 9 (pnpm 8 and later)`);
  const rootImporter = lock.importers?.['.'] ?? { dependencies: lock.dependencies, devDependencies: lock.devDependencies };
  const rootDeps = { ...rootImporter.dependencies, ...rootImporter.devDependencies };
  // `1.16.0(debug@4.4.0)`: the version, then the peers it was resolved with.
  const bare = (v: string): string => v.replace(/\(.*$/, '');
  const nodes = major >= 9 ? (lock.snapshots ?? {}) : (lock.packages ?? {});
  const keyOf = (dep: string, version: string): string => (major >= 9 ? `${dep}@${version}` : `/${dep}@${version}`);
  const valid = versionScheme('npm').valid;
  return {
    direct: Object.keys(rootDeps),
    rootVersion: (dep) => {
      const entry = rootDeps[dep];
      const version = typeof entry === 'string' ? entry : entry?.version;
      return version && valid(bare(version)) ? bare(version) : undefined;
    },
    closure(dep) {
      const found: Record<string, string> = {};
      const start = rootDeps[dep];
      const queue: [string, string][] = [[dep, typeof start === 'string' ? start : (start?.version ?? '')]];
      while (queue.length) {
        const [pkg, full] = queue.shift()!;
        if (!valid(bare(full))) continue;
        // Overrides install one version of a name: a closure holding two would install something else.
        if (found[pkg] && found[pkg] !== bare(full)) {
          throw new LockFileError(`${name} locks ${pkg} at ${found[pkg]} and ${bare(full)} in ${dep}'s closure; regress installs a pnpm closure with one version of each package: give the project's package-lock.json, or name the client (${dep}@${rootDeps[dep] && typeof rootDeps[dep] !== 'string' ? bare(rootDeps[dep].version) : ''})`);
        }
        if (found[pkg]) continue;
        found[pkg] = bare(full);
        const node = nodes[keyOf(pkg, full)] ?? nodes[keyOf(pkg, bare(full))];
        for (const [d, v] of Object.entries({ ...node?.dependencies, ...node?.optionalDependencies })) queue.push([d, v]);
      }
      return found;
    },
  };
}
