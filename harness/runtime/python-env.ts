// One Python environment per (client spec, Python), created once and cached.
//
// Installs use uv when it is on PATH, else a uv bootstrapped from PyPI into the cache, else venv + pip.
// Concurrency safety: an environment is built in a private temporary directory and published with one
// rename(2); a loser of the race discards its copy and uses the winner's. A finished environment always
// holds its manifest (regress-env.json), written last, so a half-built one is never used.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile, mkdtemp } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import type { ClientSpec } from '../spec.ts';
import type { InstalledClient } from '../types.ts';
import { runClientProgram, sanitisedEnvironment } from './client-process.ts';
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

/** Bump when the way environments are built changes, so older cached ones are not reused. */
const ENV_LAYOUT = 2;

/** Added to the machine's environment for uv and pip: never download a Python, never prompt. */
const INSTALLER_ENV = { UV_PYTHON_DOWNLOADS: 'never', UV_NO_PROGRESS: '1', PIP_NO_INPUT: '1' };

export function defaultCacheDir(): string {
  return process.env.REGRESS_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'regress');
}

export const PROBE = `
import json, ssl, sys
import importlib.metadata as md
names = ["httpx", "httpcore", "h11", "anyio", "httpx2", "httpcore2", "h2", "sniffio", "certifi", "idna"]
packages = {}
for name in names:
    try:
        packages[name] = md.version(name)
    except md.PackageNotFoundError:
        packages[name] = None
print(json.dumps({"python": sys.version.split()[0], "openssl": ssl.OPENSSL_VERSION, "packages": packages}))
`;

export async function findPython(requested?: string): Promise<PythonInterpreter> {
  const candidate = requested ?? process.env.REGRESS_PYTHON ?? 'python3';
  try {
    const { stdout } = await execa(candidate, ['-c', 'import sys; print(sys.executable); print(sys.version.split()[0])']);
    const [path, version] = stdout.trim().split('\n');
    return { path: path!, version: version! };
  } catch {
    throw new InstallError(`no usable Python interpreter at '${candidate}' (set --python or REGRESS_PYTHON)`, true);
  }
}

/** What PROBE printed, as recorded in results: the core packages always (null when absent), others when present. */
export function installedFromProbe(stdout: string): Omit<InstalledClient, 'module'> {
  const probe = JSON.parse(stdout) as { python: string; openssl: string; packages: Record<string, string | null> };
  const core = new Set(['httpx', 'httpcore', 'h11', 'anyio']);
  const packages = Object.fromEntries(Object.entries(probe.packages).filter(([k, v]) => v !== null || core.has(k)));
  return { python: probe.python, openssl: probe.openssl, packages };
}

/** Probe what an interpreter's environment really contains. */
export async function probeInstalled(python: string, module: string): Promise<InstalledClient> {
  // The same sanitised environment the client gets, so `installed` is what the client can import.
  const { stdout } = await execa(python, ['-c', PROBE], { env: sanitisedEnvironment(module), extendEnv: false });
  return { ...installedFromProbe(stdout), module };
}

export class EnvironmentCache {
  readonly root: string;
  readonly #python: PythonInterpreter;
  readonly #building = new Map<string, Promise<PythonEnvironment>>();
  #uv: Promise<string | null> | undefined;

  constructor(python: PythonInterpreter, root = defaultCacheDir()) {
    this.root = root;
    this.#python = python;
  }

  get python(): PythonInterpreter {
    return this.#python;
  }

  /** The environment for a spec, from the cache or freshly built. Calls for the same spec share one build. */
  async ensure(spec: ClientSpec, onProgress?: (message: string) => void): Promise<PythonEnvironment> {
    const key = await this.#key(spec);
    let pending = this.#building.get(key);
    if (!pending) {
      pending = this.#ensure(spec, key, onProgress);
      this.#building.set(key, pending);
      pending.catch(() => this.#building.delete(key));
    }
    return pending;
  }

  async #key(spec: ClientSpec): Promise<string> {
    const identity: Record<string, unknown> = {
      layout: ENV_LAYOUT,
      spec: spec.label,
      python: this.#python.path,
      pythonVersion: this.#python.version,
      installer: process.env.REGRESS_INSTALLER ?? 'auto',
    };
    // "httpx" means the latest release: such an environment is re-resolved once a day.
    if (!spec.pinned) identity.day = new Date().toISOString().slice(0, 10);
    for (const file of spec.localFiles) {
      const content = await readFile(file);
      identity[file] = createHash('sha256').update(content).digest('hex');
    }
    const hash = createHash('sha256').update(JSON.stringify(identity)).digest('hex').slice(0, 12);
    const slug = spec.label.replace(/[^A-Za-z0-9.=-]+/g, '_').replace(/=+/g, '-').slice(0, 60);
    return `${slug}-py${this.#python.version}-${hash}`;
  }

  async #ensure(spec: ClientSpec, key: string, onProgress?: (message: string) => void): Promise<PythonEnvironment> {
    const started = performance.now();
    const dir = join(this.root, 'envs', key);
    const cached = await readManifest(dir);
    if (cached) {
      return { ...cached, dir, python: join(dir, 'bin', 'python'), spec, created: false, durationMs: elapsed(started) };
    }
    await mkdir(join(this.root, 'envs'), { recursive: true });
    if (existsSync(dir)) {
      // Damaged (no manifest): move it aside, so the rebuilt one can be published.
      const aside = `${dir}.damaged-${process.pid}-${Date.now()}`;
      await rename(dir, aside).catch(() => undefined);
      await rm(aside, { recursive: true, force: true });
    }
    const tmp = await mkdtemp(join(this.root, 'envs', `.building-${key}-`));
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
      const installed = await probeInstalled(python, spec.module);
      if (!installed.packages[spec.module]) {
        throw new InstallError(`installing '${spec.label}' did not install ${spec.module}`, true);
      }
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
      const manifest = await readManifest(dir);
      if (!manifest) throw new InstallError(`environment ${dir} vanished while it was being published`, false);
      return { ...manifest, dir, python: join(dir, 'bin', 'python'), spec, created: true, durationMs: elapsed(started) };
    } catch (error) {
      await rm(tmp, { recursive: true, force: true });
      throw error;
    }
  }

  /**
   * Whether the installer can resolve the spec at all (nothing is installed). Bisection uses it to leave
   * out releases that cannot be installed together with the --with requirements, before probing.
   */
  async resolvable(spec: ClientSpec): Promise<boolean> {
    const uv = await this.#uvBinary();
    const requirements = spec.requirements.map((r) => r.text);
    const result = uv
      ? await execa(uv, ['pip', 'compile', '--quiet', '--no-header', '--python', this.#python.path, '-'], {
          input: requirements.join('\n'),
          reject: false,
          env: INSTALLER_ENV,
        })
      : await execa(this.#python.path, ['-m', 'pip', 'install', '--dry-run', '--quiet', '--ignore-installed', ...requirements], {
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

  /** uv from PATH, else bootstrapped from PyPI into the cache; null means fall back to venv + pip. */
  #uvBinary(onProgress?: (message: string) => void): Promise<string | null> {
    this.#uv ??= (async () => {
      const forced = process.env.REGRESS_INSTALLER;
      if (forced === 'pip') return null;
      try {
        await execa('uv', ['--version']);
        return 'uv';
      } catch {
        // not on PATH
      }
      const toolDir = join(this.root, 'tools', 'uv');
      const uv = join(toolDir, 'bin', 'uv');
      if (existsSync(uv)) return uv;
      onProgress?.('bootstrapping uv from PyPI into the harness cache');
      await mkdir(join(this.root, 'tools'), { recursive: true });
      const tmp = await mkdtemp(join(this.root, 'tools', '.building-uv-'));
      try {
        await execa(this.#python.path, ['-m', 'venv', tmp]);
        await execa(join(tmp, 'bin', 'python'), ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', 'uv']);
        await rename(tmp, toolDir).catch(async () => rm(tmp, { recursive: true, force: true }));
        return existsSync(uv) ? uv : null;
      } catch {
        await rm(tmp, { recursive: true, force: true });
        onProgress?.('could not bootstrap uv; falling back to venv + pip');
        return null;
      }
    })();
    return this.#uv;
  }
}

async function install(file: string, args: string[], spec: ClientSpec): Promise<void> {
  const result = await execa(file, args, {
    reject: false,
    timeout: 600_000,
    // The installer keeps the machine's own settings (certificates, index configuration); only the
    // client under test runs with a sanitised environment.
    env: INSTALLER_ENV,
  });
  if (result.exitCode === 0) return;
  const output = `${result.stderr}\n${result.stdout}`;
  const noSuchRelease =
    /no version of|No matching distribution|not found in the package registry|No solution found|Could not find a version/i.test(
      output,
    );
  const detail =
    output
      .split('\n')
      .map((l) => l.replace(/^[\s×╰─▶│]+/u, '').trim())
      .find((l) => /because|no matching|not found|error:/i.test(l)) ?? output.trim().split('\n').at(-1);
  throw new InstallError(
    noSuchRelease
      ? `cannot install '${spec.label}': no matching release on the package index (${detail})`
      : `cannot install '${spec.label}': ${detail}`,
    noSuchRelease,
  );
}

async function readManifest(dir: string): Promise<{ installed: InstalledClient; installer: 'uv' | 'pip' } | null> {
  try {
    await stat(join(dir, 'bin', 'python'));
    const manifest = JSON.parse(await readFile(join(dir, 'regress-env.json'), 'utf8'));
    return { installed: manifest.installed, installer: manifest.installer };
  } catch {
    return null;
  }
}

function elapsed(started: number): number {
  return Math.round(performance.now() - started);
}

/** A spec installed in a local environment: the venv runtime. */
export function venvTarget(cache: EnvironmentCache, spec: ClientSpec): ClientTarget {
  return {
    label: spec.label,
    prepare: async (onProgress) => {
      const env = await cache.ensure(spec, onProgress);
      return {
        label: spec.label,
        installed: { ...env.installed, runtime: 'venv' },
        module: spec.module,
        created: env.created,
        durationMs: env.durationMs,
        run: (run) => runClientProgram({ ...run, python: env.python, module: spec.module }),
      };
    },
  };
}
