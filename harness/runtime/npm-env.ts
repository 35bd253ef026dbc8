// The npm runtime: one node_modules folder per npm client spec, and one folder per Node release, both made
// once in the harness cache and keyed by content (the exact releases installed, the hashes of local
// tarballs): a range, or no version, is resolved against the registry first. A prepared client is the pair: its packages'
// folder and the Node release it runs on.
//
// Installs run npm with the machine's own settings (registry, certificates: the installer needs them); the
// client process gets none of them (node-client.ts). A folder is built in a private temporary folder and
// published with one rename(2), its manifest written last, so a half-built one is never used.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import pLimit from 'p-limit';
import { family, interpreterReason, unsupportedReason } from '../families.ts';
import { loadExeca } from '../lazy-execa.ts';
import { npmReleases } from '../package-index.ts';
import { type ClientSpec, NODE_PACKAGE } from '../spec.ts';
import type { InstalledClient } from '../types.ts';
import { versionScheme } from '../version-schemes.ts';
import { ownerTag, sweepLeftovers } from './cleanup.ts';
import { runNodeProgram } from './node-client.ts';
import { phase } from './phase-log.ts';
import { isStopping, runInProcessGroup, Stopped } from './process-group.ts';
import { InstallError } from './python-env.ts';
import type { ClientTarget } from './target.ts';

/** Bump when the way folders are built changes, so older cached ones are not reused. */
const NPM_LAYOUT = 3;

/** Installs are network- and disk-bound: a few at once keep both busy without starving the cases. */
const buildLimit = pLimit(3);

export interface NodeRelease {
  /** The node binary. */
  path: string;
  /** Its exact version, without the `v`: 20.20.2. */
  version: string;
  /** process.versions of that binary: the undici, OpenSSL and llhttp built into the release. */
  versions: Record<string, string>;
}

export interface NpmEnvironment {
  /** Holds node_modules with the client release (empty for a family whose release is the Node release). */
  dir: string;
  /** package name → version, as installed (node_modules/<name>/package.json). */
  packages: Record<string, string>;
  created: boolean;
}

export class NpmCache {
  readonly root: string;
  readonly #building = new Map<string, Promise<unknown>>();
  readonly #harnessNode: Promise<NodeRelease>;

  constructor(root: string) {
    this.root = resolve(root);
    this.#harnessNode = nodeVersions(process.execPath).then((versions) => ({ path: process.execPath, version: versions.node!, versions }));
  }

  /** Half-built folders of killed runs; a concurrent run's live build is kept. */
  sweep(): Promise<string[][]> {
    return Promise.all([sweepLeftovers(join(this.root, 'npm-envs'), ['.building-']), sweepLeftovers(join(this.root, 'node'), ['.building-'])]);
  }

  /** The Node release a spec runs on: the one it names (`node@22`, `fetch@22`), else the harness's own. */
  async node(release: string | undefined, onProgress?: (message: string) => void): Promise<NodeRelease> {
    if (!release) return this.#harnessNode;
    const scheme = versionScheme('npm');
    // `22`, `v22`, `22.x` and `^22` are one release: the newest 22.x on the registry, resolved first, so the
    // folder is keyed by the exact version (one install however the release is spelt, whatever the day).
    let exact = scheme.valid(release) ? semverClean(release) : null;
    if (!exact) {
      if (!scheme.validRange(release)) throw new InstallError(`--node ${release}: not a Node release or range (e.g. 20 or 22.23.3)`, true);
      exact = await newestFor(NODE_PACKAGE, release, '0.0.0', `Node ${release}`);
    }
    const version = exact;
    const key = `node-${version}`;
    return this.#once(key, async () => {
      const dir = join(this.root, 'node', key);
      const binary = join(dir, 'node_modules', NODE_PACKAGE, 'bin', 'node');
      const usable = (): boolean => readJson(join(dir, 'regress-node.json')) !== null && existsSync(binary);
      if (!usable()) {
        onProgress?.(`installing Node ${version} with npm`);
        await this.#publish(dir, key, usable, async (tmp) => {
          // The package's preinstall fetches the platform's binary package: it must run even where the user's
          // npm configuration says ignore-scripts (npm 11 also needs allowScripts for it).
          await writeJson(join(tmp, 'package.json'), { name: 'regress-node-release', private: true, allowScripts: { [NODE_PACKAGE]: true } });
          await npmInstall(tmp, ['--ignore-scripts=false', `${NODE_PACKAGE}@${version}`], `Node ${version}`, false);
          // Checked before publishing: a folder without a working binary of that release is never published.
          const built = await nodeVersions(join(tmp, 'node_modules', NODE_PACKAGE, 'bin', 'node')).catch((error: Error) => {
            throw new InstallError(`installing Node ${version} with npm gave no working node binary (${error.message.split('\n').at(-1)})`, false);
          });
          if (built.node !== version) throw new InstallError(`installing Node ${version} with npm gave Node ${built.node}`, false);
          await writeJson(join(tmp, 'regress-node.json'), { release: version, createdAt: new Date().toISOString() });
        });
      }
      const versions = await nodeVersions(binary).catch((error: Error) => {
        throw new InstallError(`the cached Node release ${dir} does not start (${error.message.split('\n').at(-1)}); remove that folder to reinstall it`, false);
      });
      return { path: binary, version: versions.node!, versions };
    });
  }

  /** The packages of an npm spec, from the cache or freshly installed. Calls for the same spec share one install. */
  async packages(spec: ClientSpec, node: NodeRelease, onProgress?: (message: string) => void): Promise<NpmEnvironment> {
    const f = family(spec.family);
    // A family whose release is the Node release installs no package: its client is built in.
    const installs = spec.requirements.filter((r) => r.name !== NODE_PACKAGE);
    if (f.nodeIsRelease || installs.length === 0) {
      const dir = join(this.root, 'npm-envs', 'built-in');
      await mkdir(dir, { recursive: true });
      return { dir, packages: {}, created: false };
    }
    const files: Record<string, string> = {};
    for (const file of spec.localFiles) files[file] = createHash('sha256').update(await readFile(file)).digest('hex');
    // A range (or no version) becomes the newest release in it whose engines accept this Node release:
    // `undici` on Node 20 is the newest 7.x, as a project on Node 20 would get (npm itself would pick by the
    // engines of the Node that runs npm, the harness's). The folder is then keyed by the exact releases.
    const resolved = new Map<string, string>();
    for (const r of installs) {
      if (!r.url && !versionScheme('npm').valid(r.specifier)) resolved.set(r.name, await newestFor(r.name, r.specifier || '*', node.version));
    }
    const range = (r: (typeof installs)[number]): string => (r.url ? r.text.slice(r.name.length + 1) : resolved.get(r.name) ?? r.specifier);
    // A package-lock closure is installed as locked (its tree, by path): the tree is part of the identity.
    const tree = spec.npmLockTree ? createHash('sha256').update(JSON.stringify(spec.npmLockTree)).digest('hex') : undefined;
    const identity = { layout: NPM_LAYOUT, requirements: installs.map((r) => `${r.name}@${range(r)}`), files, ...(tree ? { tree } : {}) };
    const hash = createHash('sha256').update(JSON.stringify(identity)).digest('hex').slice(0, 12);
    const key = `${installs.map((r) => (r.url ? r.label : `${r.name}@${range(r)}`)).join('_').replace(/[^A-Za-z0-9.@-]+/g, '_').slice(0, 60)}-${hash}`;
    return this.#once(key, async () => {
      const dir = join(this.root, 'npm-envs', key);
      const published = (): Record<string, string> | null => {
        const manifest = readJson(join(dir, 'regress-env.json')) as { packages?: Record<string, string> } | null;
        return manifest?.packages && existsSync(join(dir, 'node_modules', f.distribution, 'package.json')) ? manifest.packages : null;
      };
      const cached = published();
      if (cached) return { dir, packages: cached, created: false };
      onProgress?.(`installing ${spec.label} with npm`);
      const started = performance.now();
      let packages: Record<string, string> = {};
      await this.#publish(dir, key, () => published() !== null, async (tmp) => {
        const client = installs.find((r) => r.name === f.distribution);
        if (!client) throw new InstallError(`client spec '${spec.label}' installs no ${f.distribution}`, true);
        // A local build is `name@file:/abs/name-1.2.3.tgz`: npm's own file: form after the name.
        // Companions are pinned through overrides (axios with a given follow-redirects), as a project pins a
        // transitive dependency: npm then installs that release wherever the client's tree needs it.
        const overrides = Object.fromEntries(installs.filter((r) => r !== client).map((r) => [r.name, range(r)]));
        const asLocked = spec.npmLockTree ? await installLockedTree(tmp, spec, client.name, range(client)) : false;
        if (!asLocked) {
          await writeJson(join(tmp, 'package.json'), {
            name: 'regress-client-env',
            private: true,
            dependencies: { [client.name]: range(client) },
            ...(Object.keys(overrides).length ? { overrides } : {}),
          });
          await npmInstall(tmp, [], spec.label, true);
        }
        packages = installedPackages(tmp, [...new Set([...f.reported, ...installs.map((r) => r.name)])]);
        if (!packages[f.distribution]) throw new InstallError(`installing '${spec.label}' did not install ${f.distribution}`, true);
        // (A locked tree is what npm ci installed, path by path; a name may hold two versions there.)
        for (const r of spec.npmLockTree ? [] : installs) {
          if (r !== client && !r.url && packages[r.name] && r.specifier && !versionScheme('npm').satisfies(packages[r.name]!, r.specifier)) {
            throw new InstallError(`installing '${spec.label}' gave ${r.name} ${packages[r.name]}, not ${r.specifier}`, false);
          }
        }
        await writeJson(join(tmp, 'regress-env.json'), { spec: spec.label, packages, createdAt: new Date().toISOString() });
      });
      phase('npm environment built', `${spec.label} (${Math.round(performance.now() - started)} ms)`);
      // Another run may have published the same folder first: what is recorded is what is there.
      return { dir, packages: published() ?? packages, created: true };
    });
  }

  #once<T>(key: string, build: () => Promise<T>): Promise<T> {
    let pending = this.#building.get(key) as Promise<T> | undefined;
    if (!pending) {
      pending = build();
      this.#building.set(key, pending);
      pending.catch(() => this.#building.delete(key));
    }
    return pending;
  }

  /**
   * Build into a private folder and publish it with one rename. A loser of the race uses the winner's folder
   * (never removes it: the winner's clients may be running from it); only a folder that is not usable (no
   * manifest: damaged, or from a killed run) is moved aside first, and removed once it is out of the way.
   */
  async #publish(dir: string, key: string, usable: () => boolean, fill: (tmp: string) => Promise<void>): Promise<void> {
    await buildLimit(async () => {
      if (usable()) return; // published by another run while this one waited for a build slot
      if (isStopping()) throw new Stopped();
      const parent = resolve(dir, '..');
      await mkdir(parent, { recursive: true });
      const tmp = await mkdtemp(join(parent, `.building-${key.slice(0, 40)}-${ownerTag()}-`));
      try {
        await fill(tmp);
        if (existsSync(dir) && !usable()) {
          const aside = await mkdtemp(join(parent, `.building-damaged-${ownerTag()}-`));
          await rename(dir, join(aside, 'old')).catch(() => undefined);
          await rm(aside, { recursive: true, force: true });
        }
        await rename(tmp, dir).catch(async (error: NodeJS.ErrnoException) => {
          if (!['ENOTEMPTY', 'EEXIST'].includes(error.code ?? '')) throw error;
          await rm(tmp, { recursive: true, force: true });
        });
      } catch (error) {
        await rm(tmp, { recursive: true, force: true });
        throw error;
      }
    });
  }
}

/** `v22.23.3` → `22.23.3`. */
function semverClean(version: string): string {
  return version.replace(/^[=v]+/, '');
}

function readJson(file: string): Record<string, unknown> | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return null;
  }
}

async function writeJson(file: string, value: unknown): Promise<void> {
  await writeFile(file, `${JSON.stringify(value, null, 2)}\n`);
}

/** Versions of the named packages installed at the top of node_modules (npm hoists a single copy there). */
export function installedPackages(dir: string, names: string[]): Record<string, string> {
  const found: Record<string, string> = {};
  for (const name of names) {
    const version = (readJson(join(dir, 'node_modules', name, 'package.json')) as { version?: string } | null)?.version;
    if (version) found[name] = version;
  }
  return found;
}

/** process.versions of a Node binary, asked with nothing of the user's environment. */
async function nodeVersions(binary: string): Promise<Record<string, string>> {
  const result = await (await loadExeca())(binary, ['-p', 'JSON.stringify(process.versions)'], {
    env: { PATH: '/usr/bin:/bin', HOME: '/nonexistent' },
    extendEnv: false,
    timeout: 60_000,
    reject: false,
  });
  if (result.exitCode !== 0) throw new Error(`${binary} exited ${result.exitCode}: ${String(result.stderr).trim() || 'no output'}`);
  return JSON.parse(String(result.stdout)) as Record<string, string>;
}

/**
 * `npm install` in its own process group (an interrupt kills it), with the machine's settings. Scripts of
 * client packages are not run (`--ignore-scripts`: nothing of a client release runs outside a case); the
 * Node release's preinstall is the one that must run.
 */
async function npmInstall(dir: string, packages: string[], label: string, ignoreScripts: boolean, command: 'install' | 'ci' = 'install'): Promise<void> {
  if (isStopping()) throw new Stopped();
  const args = [command, '--no-audit', '--no-fund', '--loglevel=error', '--no-update-notifier', ...(ignoreScripts ? ['--ignore-scripts'] : []), ...packages];
  const result = await runInProcessGroup('npm', ['--prefix', dir, ...args], { env: { npm_config_yes: 'true' }, extendEnv: true, timeLimitMs: 600_000, cwd: dir });
  if (isStopping()) throw new Stopped();
  if (result.exitCode === 0) return;
  if (result.timedOut) throw new InstallError(`npm install of '${label}' took longer than 10 minutes`, false);
  const output = `${result.stderr}\n${result.stdout}`;
  const noSuchRelease = /ETARGET|E404|No matching version found|is not in this registry|ERESOLVE/.test(output);
  const detail = output.split('\n').map((l) => l.replace(/^npm (error|ERR!)\s*/, '').trim()).filter((l) => l && !/^(A complete log|code E|\s*$)/.test(l)).slice(0, 3).join(' ');
  throw new InstallError(
    noSuchRelease ? `cannot install '${label}': no matching release on npm (${detail.slice(0, 500)})` : `cannot install '${label}': npm exited ${result.exitCode ?? result.signal}: ${detail.slice(0, 500)}`,
    noSuchRelease,
  );
}

/**
 * The newest release of a package in a range whose engines.node accepts a Node release (releases that say
 * nothing accept any); when none does, the newest in the range, so the engines check names the mismatch.
 */
async function newestFor(name: string, range: string, nodeVersion: string, label = `${name}@${range}`): Promise<string> {
  const scheme = versionScheme('npm');
  const all = await npmReleases(name).catch((error: Error) => {
    throw new InstallError(`cannot install '${label}': ${error.message}`, false);
  });
  const inRange = all
    .filter((r) => scheme.valid(r.version) && !scheme.prerelease(r.version) && scheme.satisfies(r.version, range))
    .sort((a, b) => scheme.compare(a.version, b.version));
  if (!inRange.length) throw new InstallError(`cannot install '${label}': no matching release on npm`, true);
  const runs = inRange.filter((r) => !r.engines?.node || !scheme.validRange(r.engines.node) || scheme.satisfies(nodeVersion, r.engines.node));
  return (runs.at(-1) ?? inRange.at(-1))!.version;
}

/**
 * The project's own lock, cut down to the client's closure: `npm ci` installs every locked copy where the
 * lock puts it (a package locked at two versions in two places stays so). npm refuses a lock its project's
 * `overrides` shaped (they are in the project's package.json, not the lock): then, when the closure holds
 * one version of each package, the same pins go through overrides (false: install that way); with several
 * versions of one package no flat pinning installs the lock, and that is said.
 */
async function installLockedTree(tmp: string, spec: ClientSpec, client: string, version: string): Promise<boolean> {
  const tree = spec.npmLockTree!;
  const root = { name: 'regress-client-env', version: '0.0.0', dependencies: { [client]: version } };
  await writeJson(join(tmp, 'package.json'), { ...root, private: true });
  await writeJson(join(tmp, 'package-lock.json'), { name: root.name, version: root.version, lockfileVersion: 3, requires: true, packages: { '': root, ...tree } });
  try {
    await npmInstall(tmp, [], spec.label, true, 'ci');
    return true;
  } catch (error) {
    if (!(error instanceof InstallError) || !/in sync|does not satisfy/.test(error.message)) throw error;
    const versions = new Map<string, Set<string>>();
    for (const [path, entry] of Object.entries(tree)) {
      const name = path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
      versions.set(name, (versions.get(name) ?? new Set()).add(String(entry.version)));
    }
    const twice = [...versions].find(([, v]) => v.size > 1);
    if (twice) {
      throw new InstallError(`cannot install '${spec.label}' as locked: the lock holds ${twice[0]} at ${[...twice[1]].join(' and ')} and was shaped by the project's overrides, which a lock does not carry`, false);
    }
    await rm(join(tmp, 'package-lock.json'), { force: true });
    await rm(join(tmp, 'node_modules'), { recursive: true, force: true });
    return false;
  }
}

/** Why the installed client declares it does not run on this Node release (its package.json engines.node), or null. */
function enginesReason(dir: string, name: string, nodeVersion: string): string | null {
  const manifest = readJson(join(dir, 'node_modules', name, 'package.json')) as { version?: string; engines?: { node?: string } } | null;
  const range = manifest?.engines?.node;
  if (!range || !versionScheme('npm').validRange(range) || versionScheme('npm').satisfies(nodeVersion, range)) return null;
  return `${name} ${manifest.version} declares engines.node ${range}; it would run on Node ${nodeVersion}: pass --node with one that is`;
}

/** What a result records of an npm client: its packages and the Node release it ran on. */
function installedClient(spec: ClientSpec, env: NpmEnvironment, node: NodeRelease, files: Record<string, string>): InstalledClient {
  const f = family(spec.family);
  const packages: Record<string, string | null> = {};
  // A family whose release is the Node release reports what is built into it (the fetch's undici).
  const built: Record<string, string | undefined> = { [NODE_PACKAGE]: node.version, ...node.versions };
  for (const name of f.reported) {
    const version = f.nodeIsRelease ? built[name] : env.packages[name];
    if (version) packages[name] = version;
    else if (f.alwaysReported.includes(name)) packages[name] = null;
  }
  for (const [name, version] of Object.entries(env.packages)) if (!(name in packages)) packages[name] = version;
  return {
    python: '',
    node: node.version,
    ...(node.versions.openssl ? { openssl: `OpenSSL ${node.versions.openssl}` } : {}),
    packages,
    module: f.module,
    runtime: 'npm',
    ...(Object.keys(files).length ? { files } : {}),
  };
}

/** An npm spec installed in the cache and run on its Node release: the npm runtime's target. */
export function npmTarget(cache: NpmCache, spec: ClientSpec, label = spec.label): ClientTarget {
  return {
    label,
    family: spec.family,
    key: label,
    prepare: async (onProgress) => {
      const started = performance.now();
      const f = family(spec.family);
      const node = await cache.node(spec.node, onProgress);
      const env = await cache.packages(spec, node, onProgress);
      const release = f.nodeIsRelease ? node.version : env.packages[f.distribution];
      // A release the contract cannot drive, or one that needs a newer Node than it would run on (the
      // family record's knowledge, then the release's own engines.node), is said in one line before any case
      // runs (the same as a Python release its interpreter cannot install).
      const tooNew = (release ? interpreterReason(f, release, node.version) : null) ?? enginesReason(env.dir, f.distribution, node.version);
      if (tooNew) throw new InstallError(`cannot run '${spec.label}': ${tooNew}`, true);
      const outside = f.nodeIsRelease ? unsupportedReason(f, node.version) : null;
      if (outside) throw new InstallError(`cannot run '${spec.label}': ${outside}`, true);
      const files: Record<string, string> = {};
      for (const file of spec.localFiles) files[basename(file)] = createHash('sha256').update(await readFile(file)).digest('hex');
      return {
        label,
        installed: { ...installedClient(spec, env, node, files), ...(spec.lock ? { lock: spec.lock } : {}) },
        family: spec.family,
        module: spec.module,
        created: env.created,
        durationMs: Math.round(performance.now() - started),
        run: (run) => runNodeProgram({ ...run, node: node.path, envDir: env.dir, family: spec.family }),
      };
    },
  };
}
