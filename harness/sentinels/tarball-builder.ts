// Sentinel tarballs, the npm counterpart of the sentinel wheels (wheel-builder.ts): the published tarball of
// a release, fetched once with `npm pack <name>@<version>` (which honours the machine's npm configuration and
// checks the registry's integrity), unpacked, edited with exact-text replacements, and packed again under
// `<version>+<local>` (`1.16.3+sentinel.closeleak`) as `<name>-1.16.3-sentinel-closeleak.tgz`.
//
// Why semver build metadata for the version: a dependent's range (axios wants `follow-redirects@^1.15.6`)
// ignores it, so npm dedupes the dependent onto the sentinel build instead of fetching the real release
// beside it, while the installed package.json still says which build it is. A `regressSentinel` field in
// package.json records the label and the release it was built from.
//
// Cache layout (under the harness cache, shared by concurrent runs), published with one rename(2):
//   sentinels/npm-releases/<name>-<version>/<tarball as npm packed it> + release.json (npm's integrity)
//   sentinels/tarballs/<original sha256>-<edits hash>/<rebuilt tarball>
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { isAbsolute, join, normalize, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { listNpmReleases } from '../package-index.ts';
import { defaultCacheDir, InstallError } from '../runtime/python-env.ts';
import { fileIn, OncePerKey, publish, sweepBuilding } from './build-cache.ts';
import type { Edit } from './definition.ts';
import { applyEdits } from './edits.ts';
import type { StaleWheel } from './wheel-builder.ts';

/** This file's text is part of every build's key: a change to how tarballs are built rebuilds them. */
const BUILDER_SOURCE = readFileSync(fileURLToPath(import.meta.url));

/** An exact release version (a prerelease is one too), without build metadata: what `npm pack` is given. */
const EXACT = /^\d+\.\d+\.\d+(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;

/** semver build identifiers: what `+<local>` may hold. */
const LOCAL = /^[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*$/;

export interface BuiltTarball {
  kind: 'built';
  /** Absolute path of the rebuilt tarball. */
  tarball: string;
  /** Its version, e.g. `1.16.3+sentinel.closeleak` (the version its package.json says). */
  version: string;
  /** Whether this call built it (false: from the cache). */
  created: boolean;
}

export type TarballResult = BuiltTarball | StaleWheel;

/** What the rebuilt package.json carries beside its version, so an installed copy says what it is. */
export interface SentinelMark {
  label: string;
  /** The release the build was made from. */
  release: string;
  /** The files the edits changed (none for the unpatched rebuild). */
  edited: string[];
}

/** The npm spec that installs a sentinel tarball: `follow-redirects@file:///…/follow-redirects-1.16.3-sentinel-x.tgz`. */
export function tarballSpec(name: string, tarball: string): string {
  return `${name}@${pathToFileURL(tarball).href}`;
}

export class SentinelTarballs {
  readonly root: string;
  readonly #npm: string;
  readonly #once = new OncePerKey();

  /** `npm` fetches the releases: the same npm (and so the same configuration) environments install with. */
  constructor(cacheRoot = defaultCacheDir(), npm = 'npm') {
    this.root = join(cacheRoot, 'sentinels');
    this.#npm = npm;
  }

  /** Remove `.building-*` directories that a killed run left behind (only old ones). */
  sweep(olderThanMs = 60 * 60_000): Promise<void> {
    return this.#once.run('sweep', () => sweepBuilding([join(this.root, 'npm-releases'), join(this.root, 'tarballs')], olderThanMs));
  }

  /**
   * The highest final release the registry lists that is not deprecated (npm's yanking), as for wheels; not
   * the `latest` tag, which a backport release can move to an older series.
   */
  newest(name: string): Promise<string> {
    return this.#once.run(`newest:${name}`, async () => {
      const newest = (await listNpmReleases(name)).filter((r) => !r.yanked && !r.prerelease).at(-1);
      if (!newest) throw new InstallError(`the npm registry lists no final release of ${name}`, true);
      return newest.version;
    });
  }

  /** The release's own tarball, fetched once with `npm pack` (no scripts run: nothing is installed). */
  original(name: string, version: string, signal?: AbortSignal): Promise<string> {
    if (!EXACT.test(version)) throw new InstallError(`'${version}' is not an exact release version of ${name}`, true);
    return this.#once.run(`release:${name}@${version}`, async () => {
      const dir = join(this.root, 'npm-releases', `${fileSafe(name)}-${version}`);
      const found = await fileIn(dir, '.tgz');
      if (found) return found;
      await mkdir(join(this.root, 'npm-releases'), { recursive: true });
      const tmp = await mkdtemp(join(this.root, 'npm-releases', `.building-${fileSafe(name)}-${version}-`));
      try {
        const { stdout } = await this.#runNpm(
          ['pack', `${name}@${version}`, '--json', '--ignore-scripts', '--pack-destination', tmp],
          tmp,
          `cannot fetch the tarball of ${name} ${version}`,
          signal,
        );
        const [packed] = JSON.parse(stdout) as { name: string; version: string; filename: string; integrity: string; shasum: string }[];
        if (!packed || packed.version !== version || !existsSync(join(tmp, packed.filename))) {
          throw new InstallError(`npm pack ${name}@${version} did not leave that release's tarball (it said ${stdout.slice(0, 200)})`, false);
        }
        await writeFile(join(tmp, 'release.json'), `${JSON.stringify({ name, version, integrity: packed.integrity, shasum: packed.shasum }, null, 2)}\n`);
        await publish(tmp, dir);
      } finally {
        await rm(tmp, { recursive: true, force: true });
      }
      return (await fileIn(dir, '.tgz'))!;
    });
  }

  /**
   * The release rebuilt with the edits as `<version>+<local>`; `stale` (nothing built) when an edit's text
   * is not in its file exactly once, or the file is not in the release. An empty edit list is the unpatched
   * rebuild: the same unpack and pack, so it proves the pipeline itself changes no verdict.
   */
  async rebuild(name: string, version: string, local: string, edits: Edit[], signal?: AbortSignal): Promise<TarballResult> {
    if (!LOCAL.test(local)) throw new InstallError(`sentinel label '${local}' is not semver build metadata (letters, digits, dashes, dots)`, false);
    const original = await this.original(name, version, signal);
    const originalHash = createHash('sha256').update(await readFile(original)).digest('hex');
    const editsHash = createHash('sha256').update(JSON.stringify({ local, edits })).update(BUILDER_SOURCE).digest('hex');
    const key = `${originalHash.slice(0, 16)}-${editsHash.slice(0, 16)}`;
    const builtVersion = `${version}+${local}`;
    return this.#once.run(`build:${key}`, async () => {
      const dir = join(this.root, 'tarballs', key);
      const cached = await fileIn(dir, '.tgz');
      if (cached) return { kind: 'built' as const, tarball: cached, version: builtVersion, created: false };
      await mkdir(join(this.root, 'tarballs'), { recursive: true });
      const tmp = await mkdtemp(join(this.root, 'tarballs', `.building-${key}-`));
      try {
        const work = join(tmp, '.unpacked');
        const pkg = await unpack(original, work, signal);
        const applied = applyEdits(edits, (file) => readPackageFile(pkg, file));
        if (applied.kind === 'stale') return { kind: 'stale' as const, problems: applied.problems };
        for (const [file, text] of applied.files) await writeFile(join(pkg, file), text);
        await markManifest(pkg, name, version, builtVersion, { label: local, release: version, edited: [...applied.files.keys()] });
        const tarball = join(tmp, `${fileSafe(name)}-${version}-${local.replace(/\./g, '-')}.tgz`);
        // npm installs any tarball whose one top folder holds package.json; `package/` is what npm itself writes.
        await execa('tar', ['-czf', tarball, '-C', work, 'package'], { timeout: 120_000, ...(signal ? { cancelSignal: signal } : {}) });
        await rm(work, { recursive: true, force: true });
        await publish(tmp, dir);
        return { kind: 'built' as const, tarball: (await fileIn(dir, '.tgz'))!, version: builtVersion, created: true };
      } finally {
        await rm(tmp, { recursive: true, force: true });
      }
    });
  }

  async #runNpm(args: string[], cwd: string | undefined, failure: string, signal?: AbortSignal): Promise<{ stdout: string }> {
    const result = await execa(this.#npm, args, {
      reject: false,
      timeout: 300_000,
      // npm reads its registry and TLS settings from the user's configuration and environment, as it does
      // for installs; nothing here names a registry.
      env: { npm_config_loglevel: 'error', npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' },
      ...(cwd ? { cwd } : {}),
      ...(signal ? { cancelSignal: signal } : {}),
    });
    if (signal?.aborted) throw new Error('interrupted');
    if (result.exitCode !== 0) {
      // npm's first error line after its `code` line says what went wrong (no matching version, 404, TLS).
      const lines = `${result.stderr}\n${result.stdout}`.split('\n').map((l) => l.replace(/^npm (error|ERR!)\s*(notarget\s+|404\s+)?/, '').trim()).filter(Boolean);
      const code = lines.map((l) => /^code (\S+)/.exec(l)?.[1]).find(Boolean);
      const detail = lines.find((l) => !/^code\b/.test(l)) ?? `npm exited ${result.exitCode ?? result.shortMessage}`;
      throw new InstallError(`${failure}: ${detail}${code ? ` (${code})` : ''}`, code === 'ETARGET' || code === 'E404');
    }
    return { stdout: result.stdout };
  }
}

/** `@scope/name` as npm names its tarball: `scope-name`. */
function fileSafe(name: string): string {
  return name.replace(/^@/, '').replace(/\//g, '-');
}

/**
 * Unpack a tarball into `work/package` and return that folder. npm strips the one top folder whatever its
 * name (old releases used others than `package/`), so its name is normalised here.
 */
async function unpack(tarball: string, work: string, signal?: AbortSignal): Promise<string> {
  await mkdir(work, { recursive: true });
  await execa('tar', ['-xzf', tarball, '-C', work, '--no-same-owner'], { timeout: 120_000, ...(signal ? { cancelSignal: signal } : {}) });
  const top = await readdir(work, { withFileTypes: true });
  if (top.length !== 1 || !top[0]!.isDirectory()) {
    throw new InstallError(`${tarball} does not hold one top folder (it holds ${top.map((e) => e.name).join(', ')})`, false);
  }
  const pkg = join(work, 'package');
  if (top[0]!.name !== 'package') await rename(join(work, top[0]!.name), pkg);
  return pkg;
}

/** A file of the package by the path an edit names (`lib/index.js`), or null when the release has none. */
function readPackageFile(pkg: string, file: string): string | null {
  const relative = normalize(file);
  // An edit names a file inside the package; anything else is the sentinel author's mistake.
  if (isAbsolute(relative) || relative === '..' || relative.startsWith(`..${sep}`)) {
    throw new InstallError(`an edit names ${file}, which is not a path inside the package`, false);
  }
  const path = join(pkg, relative);
  if (!existsSync(path) || !lstatSync(path).isFile()) return null;
  return readFileSync(path, 'utf8');
}

/** Set the build's version and mark in package.json, after checking it is the release asked for. */
async function markManifest(pkg: string, name: string, version: string, builtVersion: string, mark: SentinelMark): Promise<void> {
  const file = join(pkg, 'package.json');
  const manifest = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  if (manifest.name !== name || manifest.version !== version) {
    throw new InstallError(`the tarball of ${name} ${version} says it is ${String(manifest.name)} ${String(manifest.version)}`, false);
  }
  manifest.version = builtVersion;
  manifest.regressSentinel = mark;
  await writeFile(file, `${JSON.stringify(manifest, null, 2)}\n`);
}
