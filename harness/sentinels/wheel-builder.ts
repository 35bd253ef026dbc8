// Sentinel wheels: the real wheel of a release, downloaded once, rebuilt with exact-text edits under a local
// version (`0.28.1+sentinel.closeleak`) by harness/python/rebuild_wheel.py, and cached.
//
// Cache layout (under the harness cache, shared by concurrent runs):
//   sentinels/releases/<name>-<version>/<original wheel>      as the package index served it
//   sentinels/wheels/<original sha256>-<edits hash>/<rebuilt wheel>
// Both are built in a private `.building-*` directory and published with one rename(2), as environments
// are (runtime/python-env.ts): a loser of the race discards its copy and uses the winner's (build-cache.ts).
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { listReleases } from '../package-index.ts';
import { defaultCacheDir, InstallError } from '../runtime/python-env.ts';
import { fileIn, OncePerKey, publish, sweepBuilding } from './build-cache.ts';
import type { Edit } from './definition.ts';

const REBUILD_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '..', 'python', 'rebuild_wheel.py');

export interface BuiltWheel {
  kind: 'built';
  /** Absolute path of the rebuilt wheel. */
  wheel: string;
  /** Its version, e.g. `0.28.1+sentinel.closeleak`. */
  version: string;
  /** Whether this call built it (false: from the cache). */
  created: boolean;
}

export interface StaleEdit {
  file: string;
  /** How often the edit's text occurs in the release (it must occur exactly once). */
  matches: number;
  missingFile: boolean;
  /** First line of the text looked for. */
  find: string;
}

export interface StaleWheel {
  kind: 'stale';
  problems: StaleEdit[];
}

export type RebuildResult = BuiltWheel | StaleWheel;

/** One line on what no longer applies: the text of the STALE report. */
export function describeStale(problems: StaleEdit[]): string {
  return problems
    .map((p) =>
      p.missingFile ? `has no file ${p.file}` : p.matches === 0 ? `no longer contains the text "${p.find}" in ${p.file}` : `contains the text "${p.find}" ${p.matches} times in ${p.file}`,
    )
    .join('; ');
}

export class SentinelWheels {
  readonly root: string;
  readonly #python: string;
  readonly #once = new OncePerKey();

  /** `python` runs pip (downloads) and the rebuild script: the interpreter environments are built from. */
  constructor(python: string, cacheRoot = defaultCacheDir()) {
    this.#python = python;
    this.root = join(cacheRoot, 'sentinels');
  }

  /**
   * Remove `.building-*` directories that a killed run left behind. Only old ones: a fresh one may belong
   * to a run that is building right now.
   */
  sweep(olderThanMs = 60 * 60_000): Promise<void> {
    return this.#once.run('sweep', () => sweepBuilding([join(this.root, 'releases'), join(this.root, 'wheels')], olderThanMs));
  }

  /** The newest final, non-yanked release of a package on the configured index. */
  newest(name: string): Promise<string> {
    return this.#once.run(`newest:${name}`, async () => {
      const releases = (await listReleases(name)).filter((r) => !r.yanked && !r.prerelease);
      const last = releases.at(-1);
      if (!last) throw new InstallError(`the package index lists no final release of ${name}`, true);
      return last.version;
    });
  }

  /** The release's own wheel, downloaded once with pip (which honours the machine's index configuration). */
  original(name: string, version: string, signal?: AbortSignal): Promise<string> {
    return this.#once.run(`release:${name}==${version}`, async () => {
      const dir = join(this.root, 'releases', `${name}-${version}`);
      const found = await wheelIn(dir);
      if (found) return found;
      await mkdir(join(this.root, 'releases'), { recursive: true });
      const tmp = await mkdtemp(join(this.root, 'releases', `.building-${name}-${version}-`));
      try {
        const result = await execa(
          this.#python,
          ['-m', 'pip', 'download', '--quiet', '--no-deps', '--only-binary=:all:', '--disable-pip-version-check', '--dest', tmp, `${name}==${version}`],
          { reject: false, timeout: 300_000, env: { PIP_NO_INPUT: '1' }, ...(signal ? { cancelSignal: signal } : {}) },
        );
        if (signal?.aborted) throw new Error('interrupted');
        if (result.exitCode !== 0) {
          const output = `${result.stderr}\n${result.stdout}`.trim().split('\n');
          const detail = output.filter((l) => /error|no matching|could not/i.test(l)).at(-1) ?? output.at(-1);
          throw new InstallError(`cannot download the wheel of ${name} ${version}: ${detail ?? `pip exited ${result.exitCode}`}`, /no matching|could not find/i.test(detail ?? ''));
        }
        if (!(await wheelIn(tmp))) throw new InstallError(`${name} ${version} has no wheel on the package index`, true);
        await publish(tmp, dir);
      } finally {
        await rm(tmp, { recursive: true, force: true });
      }
      return (await wheelIn(dir))!;
    });
  }

  /**
   * The release rebuilt with the edits as `<version>+<local>`; `stale` (nothing built) when an edit's text
   * is not in the release exactly once. An empty edit list is the unpatched rebuild.
   */
  async rebuild(name: string, version: string, local: string, edits: Edit[], signal?: AbortSignal): Promise<RebuildResult> {
    const original = await this.original(name, version, signal);
    const originalHash = createHash('sha256').update(await readFile(original)).digest('hex');
    const script = await readFile(REBUILD_SCRIPT);
    const editsHash = createHash('sha256').update(JSON.stringify({ local, edits })).update(script).digest('hex');
    const key = `${originalHash.slice(0, 16)}-${editsHash.slice(0, 16)}`;
    return this.#once.run(`build:${key}`, async () => {
      const dir = join(this.root, 'wheels', key);
      const cached = await wheelIn(dir);
      if (cached) return { kind: 'built' as const, wheel: cached, version: `${version}+${local}`, created: false };
      await mkdir(join(this.root, 'wheels'), { recursive: true });
      const tmp = await mkdtemp(join(this.root, 'wheels', `.building-${key}-`));
      try {
        const { stdout } = await execa(this.#python, [REBUILD_SCRIPT], {
          input: JSON.stringify({ wheel: original, outDir: tmp, local, edits }),
          timeout: 120_000,
          ...(signal ? { cancelSignal: signal } : {}),
        });
        const result = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as
          | { wheel: string; version: string }
          | { stale: StaleEdit[] }
          | { error: string };
        if ('error' in result) throw new InstallError(`cannot rebuild ${name} ${version}: ${result.error}`, false);
        if ('stale' in result) return { kind: 'stale' as const, problems: result.stale };
        await publish(tmp, dir);
        const wheel = (await wheelIn(dir))!;
        return { kind: 'built' as const, wheel, version: result.version, created: true };
      } finally {
        await rm(tmp, { recursive: true, force: true });
      }
    });
  }
}

function wheelIn(dir: string): Promise<string | null> {
  return fileIn(dir, '.whl');
}
