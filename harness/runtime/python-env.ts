// One Python environment per (client spec, Python), created once and cached.
//
// Installs use uv when it is on PATH, else a uv bootstrapped from PyPI into the cache, else venv + pip.
// Concurrency safety: an environment is built in a private temporary directory and published with one
// rename(2); a loser of the race discards its copy and uses the winner's. A finished environment always
// holds its manifest (regress-env.json), written last, so a half-built one is never used.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile, mkdtemp } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { loadExeca } from '../lazy-execa.ts';
import pLimit from 'p-limit';
import { family, interpreterReason } from '../families.ts';
import { type ClientSpec, withClientExtras } from '../spec.ts';
import type { InstalledClient } from '../types.ts';
import { ownerTag, sweepLeftovers } from './cleanup.ts';
import { COMPAT_DIR, runClientProgram, sanitisedEnvironment } from './client-process.ts';
import { environmentDamage, FILES_SNAPSHOT, snapshotFiles } from './environment-check.ts';
import { workerFor, workersEnabled } from './client-worker.ts';
import { InterpreterCache } from './interpreter-cache.ts';
import { phase } from './phase-log.ts';
import { isStopping, runInProcessGroup, Stopped } from './process-group.ts';
import type { ClientTarget } from './target.ts';

export interface PythonInterpreter {
  path: string;
  version: string;
}

export interface PythonEnvironment {
  dir: string;
  python: string;
  spec: ClientSpec;
  installed: InstalledClient;
  installer: 'uv' | 'pip';
  /** True when this call built it; false when it came from the cache. */
  created: boolean;
  durationMs: number;
}

export class InstallError extends Error {
  /** True when the index has no release matching the spec: bad input rather than a broken machine. */
  readonly noSuchRelease: boolean;
  constructor(message: string, noSuchRelease: boolean) {
    super(message);
    this.noSuchRelease = noSuchRelease;
  }
}

/** Builds three at a time: installs are network- and disk-bound, and a few in parallel keep both busy. */
const buildLimit = pLimit(3);

/** Bump when the way environments are built changes, so older cached ones are not reused. */
const ENV_LAYOUT = 2;

/** Added to the machine's environment for uv and pip: never download a Python, never prompt. */
const INSTALLER_ENV = { UV_PYTHON_DOWNLOADS: 'never', UV_NO_PROGRESS: '1', PIP_NO_INPUT: '1' };

/**
 * The cache root, absolute. A relative REGRESS_CACHE_DIR is resolved against the directory regress was
 * started in (client programs run elsewhere, so a relative interpreter path would not be found); an
 * empty one means unset.
 */
export function defaultCacheDir(): string {
  const configured = process.env.REGRESS_CACHE_DIR;
  if (configured) return resolve(configured);
  return resolve(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'regress');
}

/**
 * Prints what an environment contains, without trusting the spec: package versions from metadata, and
 * whether the client under test (argv[1], else whichever is installed) really imports. The text of
 * harness/python/regress_probe.py, run with `python -c` (also inside a container, where the file is not
 * mounted); the warm worker imports the same file for its ready line.
 */
export const PROBE = readFileSync(join(COMPAT_DIR, 'regress_probe.py'), 'utf8');

/** The oldest Python the client contract and uv support. */
const MIN_PYTHON = [3, 8] as const;
/** Written so any Python (2.7 included) answers it: executable, implementation, version. */
const IDENTIFY = 'import sys, platform; sys.stdout.write("%s\\n%s\\n%s\\n" % (sys.executable, platform.python_implementation(), ".".join(map(str, sys.version_info[:3]))))';

/** The interpreter environments are built from, checked once: it must be a real CPython >= 3.8. */
export async function findPython(requested?: string): Promise<PythonInterpreter> {
  const candidate = requested || process.env.REGRESS_PYTHON || 'python3';
  // Asked once per cache and remembered while nothing that decides the answer changes (interpreter-cache.ts).
  const remembered = new InterpreterCache(defaultCacheDir());
  const known = await remembered.lookup(candidate);
  if (known) {
    phase('interpreter remembered', `${candidate} = ${known.path} ${known.version}`);
    return known;
  }
  const found = await identifyPython(candidate, requested);
  await remembered.remember(candidate, found);
  phase('interpreter identified', `${candidate} = ${found.path} ${found.version}`);
  return found;
}

async function identifyPython(candidate: string, requested?: string): Promise<PythonInterpreter> {
  const where = `'${candidate}'${requested ? '' : process.env.REGRESS_PYTHON ? ' (REGRESS_PYTHON)' : ''}`;
  const result = await (await loadExeca())(candidate, ['-c', IDENTIFY], { reject: false, timeout: 30_000 });
  if (result.failed && result.exitCode === undefined) {
    throw new InstallError(`no usable Python interpreter at ${where}: ${result.code ?? result.shortMessage} (set --python or REGRESS_PYTHON)`, true);
  }
  const [path, implementation, version] = String(result.stdout).trim().split('\n').map((l) => l.trim());
  if (result.exitCode !== 0 || !path || !implementation || !/^\d+\.\d+\.\d+$/.test(version ?? '')) {
    const said = `${result.stderr}`.trim().split('\n').at(-1) || (String(result.stdout).trim() ? 'unexpected output' : 'no output');
    throw new InstallError(`${where} is not a working Python interpreter (exit ${result.exitCode}: ${said}); set --python or REGRESS_PYTHON`, true);
  }
  const [major, minor] = version!.split('.').map(Number) as [number, number];
  if (implementation !== 'CPython') {
    throw new InstallError(`${where} is ${implementation} ${version}; environments need CPython ${MIN_PYTHON.join('.')} or newer`, true);
  }
  if (major < MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor < MIN_PYTHON[1])) {
    throw new InstallError(`${where} is Python ${version}; environments need Python ${MIN_PYTHON.join('.')} or newer`, true);
  }
  return { path, version: version! };
}

/**
 * What PROBE printed, as recorded in results: the family's always-reported packages (null when absent),
 * others when present. Without a family (an image's client, not yet known) only what is present.
 */
export function installedFromProbe(stdout: string, familyId?: string): Omit<InstalledClient, 'module'> {
  const probe = JSON.parse(stdout) as { python: string; openssl: string; packages: Record<string, string | null>; importError?: string | null };
  const core = new Set(familyId ? family(familyId).alwaysReported : []);
  const packages = Object.fromEntries(Object.entries(probe.packages).filter(([k, v]) => v !== null || core.has(k)));
  return { python: probe.python, openssl: probe.openssl, packages, ...(probe.importError ? { importError: probe.importError } : {}) };
}

/** Probe what an interpreter's environment really contains. */
export async function probeInstalled(python: string, familyId: string): Promise<InstalledClient> {
  // The same sanitised environment the client gets, so `installed` is what the client can import.
  const { module } = family(familyId);
  // From the contract's folder, not the caller's: `python -c` puts the working directory first on sys.path, and
  // run from a checkout of the client it would probe the checkout instead of the environment.
  const { stdout } = await (await loadExeca())(python, ['-c', PROBE, module], { env: sanitisedEnvironment(familyId), extendEnv: false, cwd: COMPAT_DIR });
  return { ...installedFromProbe(stdout, familyId), module };
}

/**
 * The core packages' versions from their installed metadata (`<name>-<version>.dist-info` folders), without
 * starting Python; the import itself is checked by whoever inspects the environment next.
 */
async function installedFromMetadata(venv: string, pythonVersion: string, familyId: string): Promise<InstalledClient> {
  const { module, reported, alwaysReported } = family(familyId);
  const core = new Set(alwaysReported);
  const found: Record<string, string> = {};
  const lib = join(venv, 'lib');
  for (const pythonDir of await readdir(lib).catch(() => [] as string[])) {
    for (const entry of await readdir(join(lib, pythonDir, 'site-packages')).catch(() => [] as string[])) {
      const match = /^([A-Za-z0-9_.]+)-([^-]+)\.dist-info$/.exec(entry);
      if (match) found[match[1]!.toLowerCase().replace(/[-_.]+/g, '_')] = match[2]!;
    }
  }
  const packages: Record<string, string | null> = {};
  // Metadata folders are named in wheel form (charset_normalizer-3.4.0.dist-info); results use PEP 503 names.
  for (const n of reported) {
    const version = found[n.replace(/-/g, '_')];
    if (version) packages[n] = version;
    else if (core.has(n)) packages[n] = null;
  }
  return { python: pythonVersion, openssl: '', packages, module };
}

/** sha256 of each local file a spec installs, by file name: two builds with one name stay apart in reports. */
async function localFileHashes(spec: ClientSpec): Promise<Record<string, string> | null> {
  if (spec.localFiles.length === 0) return null;
  const files: Record<string, string> = {};
  for (const file of spec.localFiles) files[basename(file)] = createHash('sha256').update(await readFile(file)).digest('hex');
  return files;
}

/** What a cached environment contains, asked of its interpreter (PROBE, or a worker's ready line). */
export type Inspector = (python: string, familyId: string) => Promise<InstalledClient>;

/** The warm worker as an inspector: its ready line is PROBE's answer. */
const workerInspector: Inspector = async (python, familyId) => {
  const worker = await workerFor(python, familyId);
  return { ...installedFromProbe(JSON.stringify(worker.probe), familyId), module: family(familyId).module };
};

export class EnvironmentCache {
  readonly root: string;
  readonly #python: PythonInterpreter;
  readonly #building = new Map<string, Promise<PythonEnvironment>>();
  #uv: Promise<string | null> | undefined;

  constructor(python: PythonInterpreter, root = defaultCacheDir()) {
    this.root = resolve(root);
    this.#python = python;
  }

  /**
   * Checked once at start: a cache that cannot be written (read-only file system, no permission) is one
   * clear line, not an error per case. A real write, since access(2) says yes to root on a 0555 folder.
   */
  async checkWritable(): Promise<void> {
    try {
      await mkdir(this.root, { recursive: true });
      const probe = await mkdtemp(join(this.root, '.write-check-'));
      await rm(probe, { recursive: true, force: true });
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      throw new InstallError(`cannot write the environment cache ${this.root}: ${e.code ?? e.message} (set REGRESS_CACHE_DIR to a writable folder)`, true);
    }
  }

  /** Half-built environments and uv bootstraps of killed runs; a concurrent run's live build is kept. */
  sweep(): Promise<string[][]> {
    return Promise.all([
      sweepLeftovers(join(this.root, 'envs'), ['.building-', '.write-check-']),
      sweepLeftovers(join(this.root, 'tools'), ['.building-']),
      sweepLeftovers(this.root, ['.write-check-']),
    ]);
  }

  get python(): PythonInterpreter {
    return this.#python;
  }

  /** The environment for a spec, from the cache or freshly built. Calls for the same spec share one build. */
  async ensure(spec: ClientSpec, onProgress?: (message: string) => void, inspect?: Inspector): Promise<PythonEnvironment> {
    const key = await this.#key(spec);
    let pending = this.#building.get(key);
    if (!pending) {
      pending = this.#ensure(spec, key, onProgress, inspect);
      this.#building.set(key, pending);
      pending.catch(() => this.#building.delete(key));
    }
    return pending;
  }

  /**
   * The warm worker of a spec whose environment is already cached, started now, synchronously (the caller
   * goes on with synchronous work, such as loading scenario modules, that would hold back any callback);
   * prepare() finds it started (workerFor shares it). Nothing for an environment not built yet (its install
   * waits for prepare(), which reports progress) or a spec with local files (its key needs their hashes).
   */
  warm(spec: ClientSpec, start: (python: string, module: string) => unknown): void {
    if (spec.localFiles.length) return;
    const dir = join(this.root, 'envs', this.#keyFrom(spec, {}));
    // A damaged environment is rebuilt by prepare(), not warmed here.
    if (readManifest(dir) && !environmentDamage(dir)) start(join(dir, 'bin', 'python'), spec.family);
  }

  async #key(spec: ClientSpec): Promise<string> {
    const files: Record<string, string> = {};
    for (const file of spec.localFiles) files[file] = createHash('sha256').update(await readFile(file)).digest('hex');
    return this.#keyFrom(spec, files);
  }

  #keyFrom(spec: ClientSpec, fileHashes: Record<string, string>): string {
    const identity: Record<string, unknown> = {
      layout: ENV_LAYOUT,
      // A lock's label names its file; the environment is the pins it installs, shared by every file
      // (and every side of a diff) that pins the same closure.
      spec: spec.lock ? spec.requirements.map((r) => r.text).join(' ') : spec.label,
      python: this.#python.path,
      pythonVersion: this.#python.version,
      installer: process.env.REGRESS_INSTALLER ?? 'auto',
    };
    // "httpx" means the latest release: such an environment is re-resolved once a day.
    if (!spec.pinned) identity.day = new Date().toISOString().slice(0, 10);
    Object.assign(identity, fileHashes);
    const hash = createHash('sha256').update(JSON.stringify(identity)).digest('hex').slice(0, 12);
    const slug = (spec.lock ? `${spec.requirements[0]!.text}-locked` : spec.label).replace(/[^A-Za-z0-9.=-]+/g, '_').replace(/=+/g, '-').slice(0, 60);
    return `${slug}-py${this.#python.version}-${hash}`;
  }

  async #ensure(spec: ClientSpec, key: string, onProgress?: (message: string) => void, inspect?: Inspector): Promise<PythonEnvironment> {
    const started = performance.now();
    const dir = join(this.root, 'envs', key);
    const cached = readManifest(dir);
    // Verified at every use: a file deleted or truncated since the install is rebuilt, and said so.
    const damage = cached ? environmentDamage(dir) : null;
    if (cached && !damage) {
      // Probed again rather than read from the manifest: whether the client imports is checked every run.
      // The inspector (the environment's warm worker, which imports the client anyway) answers that
      // without a Python start of its own; without one, or when it cannot start, the probe does.
      const python = join(dir, 'bin', 'python');
      const inspected = inspect ? await inspect(python, spec.family).catch(() => null) : null;
      const probed = inspected ?? await probeInstalled(python, spec.family).catch((error: Error) => {
        // Its base Python was removed or replaced, say: the folder is named, with the fix.
        const why = `${(error as { stderr?: string }).stderr ?? error.message}`.trim().split('\n').at(-1);
        throw new InstallError(`the cached environment ${dir} does not start (${why}); remove that folder to rebuild it`, false);
      });
      const installed = { ...probed, ...(await this.#files(spec)) };
      phase('environment cached', `${spec.label} (${inspected ? 'worker' : 'probe'}, ${elapsed(started)} ms)`);
      return { ...cached, installed, dir, python, spec, created: false, durationMs: elapsed(started) };
    }
    if (damage) onProgress?.(`the cached environment ${dir} is damaged (${damage}); rebuilding it`);
    return buildLimit(() => this.#build(spec, key, dir, started, onProgress, inspect));
  }

  async #build(spec: ClientSpec, key: string, dir: string, started: number, onProgress?: (message: string) => void, inspect?: Inspector): Promise<PythonEnvironment> {
    // Another run may have published it while this one waited for a build slot.
    const published = readManifest(dir);
    if (published && !environmentDamage(dir)) {
      const python = join(dir, 'bin', 'python');
      return { ...published, dir, python, spec, installed: { ...(await probeInstalled(python, spec.family)), ...(await this.#files(spec)) }, created: false, durationMs: elapsed(started) };
    }
    if (isStopping()) throw new Stopped();
    // A release that needs a newer Python than the harness's is said so, not left to a resolver error.
    const f = family(spec.family);
    const pinned = spec.requirements.find((r) => r.name === f.distribution)?.specifier.match(/^===?\s*([^,*\s]+)$/)?.[1];
    const tooNew = pinned ? interpreterReason(f, pinned, this.#python.version) : null;
    if (tooNew) throw new InstallError(`cannot install '${spec.label}': ${tooNew}`, true);
    await mkdir(join(this.root, 'envs'), { recursive: true });
    if (existsSync(dir)) {
      // Damaged (no manifest, or files not as installed): move it aside, so the rebuilt one can be published.
      const aside = `${dir}.damaged-${process.pid}-${Date.now()}`;
      await rename(dir, aside).catch(() => undefined);
      await rm(aside, { recursive: true, force: true });
    }
    // The owner's pid in the name lets a later start sweep it if this process is killed mid-build.
    const tmp = await mkdtemp(join(this.root, 'envs', `.building-${key}-${ownerTag()}-`));
    try {
      const uv = await this.#uvBinary(onProgress);
      const installer = uv ? 'uv' : 'pip';
      onProgress?.(`installing ${spec.label} with ${installer}`);
      const python = join(tmp, 'bin', 'python');
      const requirements = spec.requirements.map((r) => r.text);
      if (uv) {
        await install(uv, ['venv', '--quiet', '--relocatable', '--python', this.#python.path, tmp], spec);
        // Bytecode is compiled once here: client processes run with PYTHONDONTWRITEBYTECODE and must not
        // pay for compiling httpx on every start.
        await install(uv, ['pip', 'install', '--quiet', '--compile-bytecode', '--python', python, ...requirements], spec);
      } else {
        await install(this.#python.path, ['-m', 'venv', tmp], spec);
        await install(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', ...requirements], spec);
      }
      // With an inspector (the warm worker, which must start from the published folder), what is installed
      // is read from the packages' metadata here and the import checked right after publishing: one Python
      // start fewer before a new release's first verdict.
      const installed = inspect
        ? { ...(await installedFromMetadata(tmp, this.#python.version, spec.family)), ...(await this.#files(spec)) }
        : { ...(await probeInstalled(python, spec.family)), ...(await this.#files(spec)) };
      if (!installed.packages[family(spec.family).distribution]) {
        throw new InstallError(`installing '${spec.label}' did not install ${family(spec.family).distribution}`, true);
      }
      // What every later use checks the environment against (environment-check.ts).
      await writeFile(join(tmp, FILES_SNAPSHOT), JSON.stringify(snapshotFiles(tmp)));
      await writeFile(
        join(tmp, 'regress-env.json'),
        JSON.stringify({ spec: spec.label, installer, installed, createdAt: new Date().toISOString() }, null, 2),
      );
      try {
        await rename(tmp, dir);
      } catch (error) {
        // Another run published the same environment first: use theirs.
        if (!['ENOTEMPTY', 'EEXIST'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
        await rm(tmp, { recursive: true, force: true });
      }
      const manifest = readManifest(dir);
      if (!manifest) throw new InstallError(`environment ${dir} vanished while it was being published`, false);
      const published = join(dir, 'bin', 'python');
      const inspected = inspect ? await inspect(published, spec.family).catch(() => null) : null;
      const checked = inspect ? { ...(inspected ?? (await probeInstalled(published, spec.family))), ...(await this.#files(spec)) } : manifest.installed;
      return { ...manifest, installed: checked, dir, python: published, spec, created: true, durationMs: elapsed(started) };
    } catch (error) {
      await rm(tmp, { recursive: true, force: true });
      throw error;
    }
  }

  async #files(spec: ClientSpec): Promise<Pick<InstalledClient, 'files'>> {
    const files = await localFileHashes(spec);
    return files ? { files } : {};
  }

  /**
   * Whether the installer can resolve the spec at all (nothing is installed). Bisection uses it to leave
   * out releases that cannot be installed together with the --with requirements, before probing.
   */
  async resolvable(spec: ClientSpec): Promise<boolean> {
    const uv = await this.#uvBinary();
    const requirements = spec.requirements.map((r) => r.text);
    const result = uv
      ? await (await loadExeca())(uv, ['pip', 'compile', '--quiet', '--no-header', '--python', this.#python.path, '-'], {
          input: requirements.join('\n'),
          reject: false,
          env: INSTALLER_ENV,
        })
      : await (await loadExeca())(this.#python.path, ['-m', 'pip', 'install', '--dry-run', '--quiet', '--ignore-installed', ...requirements], {
          reject: false,
        });
    if (result.exitCode === 0) return true;
    const output = `${result.stderr}\n${result.stdout}`;
    if (/No solution found|no version of|Could not find a version|No matching distribution|ResolutionImpossible|conflicting dependencies/i.test(output)) {
      return false;
    }
    // Anything else (the index unreachable, say) must not quietly shrink a bisection's candidates.
    throw new InstallError(`cannot ask the resolver about '${spec.label}': ${output.trim().split('\n').at(-1)}`, false);
  }

  /** The uv this cache installs with (null: venv + pip); lock files are read through it. */
  uv(): Promise<string | null> {
    return this.#uvBinary();
  }

  /** uv from PATH, else bootstrapped from PyPI into the cache; null means fall back to venv + pip. */
  #uvBinary(onProgress?: (message: string) => void): Promise<string | null> {
    this.#uv ??= (async () => {
      const forced = process.env.REGRESS_INSTALLER;
      if (forced === 'pip') return null;
      try {
        await (await loadExeca())('uv', ['--version']);
        return 'uv';
      } catch {
        // not on PATH
      }
      const toolDir = join(this.root, 'tools', 'uv');
      const uv = join(toolDir, 'bin', 'uv');
      if (existsSync(uv)) {
        // Checked before use: a damaged bootstrap failed every install, blamed on the spec. Its answer is
        // checked too: execvp runs a 0-byte executable as an empty shell script, which "succeeds" silently.
        const works = await (await loadExeca())(uv, ['--version'], { reject: false, timeout: 30_000 });
        if (works.exitCode === 0 && /^uv \d/.test(String(works.stdout))) return uv;
        const why = `${works.stderr}`.trim().split('\n').at(-1) || works.code || (works.exitCode === 0 ? `it printed ${JSON.stringify(String(works.stdout).slice(0, 60))} to --version` : works.shortMessage);
        onProgress?.(`the bootstrapped uv ${uv} does not run (${why}); bootstrapping it again`);
        const aside = `${toolDir}.damaged-${process.pid}-${Date.now()}`;
        await rename(toolDir, aside).catch(() => undefined);
        await rm(aside, { recursive: true, force: true });
      } else {
        onProgress?.('bootstrapping uv from PyPI into the harness cache');
      }
      await mkdir(join(this.root, 'tools'), { recursive: true });
      if (isStopping()) throw new Stopped();
      const tmp = await mkdtemp(join(this.root, 'tools', `.building-uv-${ownerTag()}-`));
      try {
        await runInstaller(this.#python.path, ['-m', 'venv', tmp]);
        await runInstaller(join(tmp, 'bin', 'python'), ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', 'uv']);
        await rename(tmp, toolDir).catch(async () => rm(tmp, { recursive: true, force: true }));
        return existsSync(uv) ? uv : null;
      } catch (error) {
        await rm(tmp, { recursive: true, force: true });
        // An interrupt is not a failed bootstrap: falling back to pip would install everything anyway.
        if (error instanceof Stopped) throw error;
        onProgress?.('could not bootstrap uv; falling back to venv + pip');
        return null;
      }
    })();
    return this.#uv;
  }
}

/**
 * An installer step in its own process group, registered so an interrupt kills it (and whatever it
 * started) at once; a step killed that way throws Stopped, never an install failure.
 */
async function runInstaller(file: string, args: string[]): Promise<{ exitCode: number | null; output: string }> {
  if (isStopping()) throw new Stopped();
  const result = await runInProcessGroup(file, args, {
    timeLimitMs: 600_000,
    // The installer keeps the machine's own settings (certificates, index configuration); only the
    // client under test runs with a sanitised environment.
    env: INSTALLER_ENV,
    extendEnv: true,
  });
  if (isStopping()) throw new Stopped();
  const output = `${result.stderr}\n${result.stdout}`;
  if (result.exitCode !== 0 && result.timedOut) throw new InstallError(`${basename(file)} ${args[0]} ${args[1] ?? ''} took longer than 10 minutes`, false);
  if (result.exitCode !== 0 && result.exitCode !== null) return { exitCode: result.exitCode, output };
  if (result.exitCode === null) throw new InstallError(`${basename(file)} was killed (${result.signal})`, false);
  return { exitCode: 0, output };
}

/** The installer's explanation, in one line: uv's `error:` plus its `cause:` lines, or pip's ERROR lines. */
export function installerExplanation(output: string): string {
  const lines = output
    .split('\n')
    .map((l) => l.replace(/^[\s×╰─▶│]+/u, '').trim())
    .filter(Boolean);
  const start = lines.findIndex((l) => /^(error|ERROR):/.test(l));
  if (start === -1) return lines.at(-1) ?? '(no output)';
  // Everything from the first error on: uv's "cause:" / "hint:" lines say which requirement failed and why.
  const [first, ...rest] = lines
    .slice(start)
    .filter((l) => !/^(warning|WARNING|notice):/.test(l))
    .map((l) => l.replace(/^(error|ERROR|cause|hint):\s*/, ''));
  const text = rest.length ? `${first!.replace(/[.:]$/, '')}: ${rest.join(' ')}` : first!;
  return text.replace(/\s+/g, ' ').slice(0, 1000);
}

async function install(file: string, args: string[], spec: ClientSpec): Promise<void> {
  const result = await runInstaller(file, args);
  if (result.exitCode === 0) return;
  const output = result.output;
  const noSuchRelease =
    /no version of|No matching distribution|not found in the package registry|No solution found|Could not find a version/i.test(
      output,
    );
  const detail = installerExplanation(output);
  throw new InstallError(
    !noSuchRelease
      ? `cannot install '${spec.label}': ${detail}`
      : /\bdepends on\b|conflicting dependencies|ResolutionImpossible/i.test(output)
        ? `cannot install '${spec.label}': the requirements conflict (${detail})`
        : `cannot install '${spec.label}': no matching release on the package index (${detail})`,
    noSuchRelease,
  );
}

/** A finished environment's manifest, or null (none yet, damaged, or no interpreter). Synchronous: a stat and a
 * small file, also asked by warm(), which must not yield. */
function readManifest(dir: string): { installed: InstalledClient; installer: 'uv' | 'pip' } | null {
  try {
    statSync(join(dir, 'bin', 'python'));
    const manifest = JSON.parse(readFileSync(join(dir, 'regress-env.json'), 'utf8'));
    return { installed: manifest.installed, installer: manifest.installer };
  } catch {
    return null;
  }
}

function elapsed(started: number): number {
  return Math.round(performance.now() - started);
}

/** A spec installed in a local environment: the venv runtime. */
export function venvTarget(cache: EnvironmentCache, spec: ClientSpec, label = spec.label, key = label): ClientTarget {
  return {
    label,
    family: spec.family,
    // The label plus the extras, not the extras spec's own label: two clients whose specs coincide once
    // extras are added (two lock files pinning the same closure) must stay two prepared clients, each
    // with its own label; the cache still builds their shared environment once.
    key,
    // Results keep the label the user gave; the environment is the one with the extras.
    withExtras: (extras) => venvTarget(cache, withClientExtras(spec, extras), label, `${label} +${extras.join(',')}`),
    warmUp: () => {
      if (workersEnabled()) cache.warm(spec, (python, familyId) => workerFor(python, familyId).catch(() => undefined));
    },
    prepare: async (onProgress) => {
      const useWorker = workersEnabled();
      const env = await cache.ensure(spec, onProgress, useWorker ? workerInspector : undefined);
      return {
        label,
        installed: {
          ...env.installed,
          runtime: 'venv',
          ...(spec.label !== label ? { ranAs: spec.label } : {}),
          ...(spec.lock ? { lock: spec.lock } : {}),
        },
        family: spec.family,
        module: spec.module,
        created: env.created,
        durationMs: env.durationMs,
        warm: useWorker,
        // The environment's warm worker forks the case; without one (REGRESS_WORKER=0, a worker that
        // cannot start) the case gets a Python process of its own.
        run: async (run) => {
          const worker = useWorker ? await workerFor(env.python, spec.family).catch(() => null) : null;
          if (worker?.alive) return worker.run(run);
          return runClientProgram({ ...run, python: env.python, family: spec.family });
        },
      };
    },
  };
}
