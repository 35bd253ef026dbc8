// Releases of a package, from the package index pip itself is configured to use (PEP 503 simple pages
// with PEP 592 yank marks), ordered by PEP 440 with @renovatebot/pep440. No index host is written here:
// the URL comes from PIP_INDEX_URL, pip's configuration, or pip's own default.
import { compare, explain, satisfies, valid } from '@renovatebot/pep440';
import { tmpdir } from 'node:os';
import { loadExeca } from './lazy-execa.ts';
import { normaliseName } from './spec.ts';
import { type Runtime, type VersionScheme, versionScheme } from './version-schemes.ts';

export interface Release {
  version: string;
  yanked: boolean;
  prerelease: boolean;
  /** PEP 503 data-requires-python of the release's files, when the index gives it. */
  requiresPython?: string;
}

export class IndexError extends Error {}

let indexUrl: Promise<string> | undefined;

export function packageIndexUrl(python = process.env.REGRESS_PYTHON ?? 'python3'): Promise<string> {
  indexUrl ??= (async () => {
    const fromEnv = process.env.PIP_INDEX_URL ?? process.env.UV_DEFAULT_INDEX ?? process.env.UV_INDEX_URL;
    if (fromEnv) return fromEnv;
    const configured = await (await loadExeca())(python, ['-m', 'pip', 'config', 'get', 'global.index-url'], { reject: false });
    if (configured.exitCode === 0 && configured.stdout.trim()) return configured.stdout.trim();
    const fallback = await (await loadExeca())(python, ['-c', 'from pip._internal.models.index import PyPI; print(PyPI.simple_url)'], { reject: false });
    if (fallback.exitCode === 0 && fallback.stdout.trim()) return fallback.stdout.trim();
    throw new IndexError('cannot tell which package index to use: set PIP_INDEX_URL');
  })();
  return indexUrl;
}

/** Every release of a package of that runtime's index (PyPI's or npm's), oldest first. */
export function listReleasesOf(runtime: Runtime, name: string): Promise<Release[]> {
  return runtime === 'npm' ? listNpmReleases(name) : listReleases(name);
}

/** What the npm registry says of one release (its abbreviated metadata). */
export interface NpmRelease {
  version: string;
  engines?: { node?: string };
  deprecated?: string;
}

let npmRegistry: Promise<string> | undefined;

/** The registry npm itself is configured with (`npm config get registry`): no registry host is written here. */
function registryUrl(): Promise<string> {
  npmRegistry ??= (async () => {
    // Asked outside any project, as the installs are (they run in the cache with --prefix): a project's own
    // .npmrc must not point the release lookups at one registry and the installs at another.
    const result = await (await loadExeca())('npm', ['config', 'get', 'registry', '--no-update-notifier'], { reject: false, timeout: 60_000, cwd: tmpdir() });
    const url = String(result.stdout).trim();
    if (result.exitCode !== 0 || !/^https?:\/\//.test(url)) throw new IndexError(`cannot tell which npm registry to use (npm config get registry: ${url || `exit ${result.exitCode}`})`);
    return url.replace(/\/+$/, '');
  })();
  return npmRegistry;
}

const packuments = new Map<string, Promise<NpmRelease[]>>();

/**
 * Every release of an npm package with its engines and deprecation, from the registry's abbreviated
 * metadata (one request per package and process; `npm view` drops releases that lack a field asked for).
 */
export function npmReleases(name: string): Promise<NpmRelease[]> {
  let pending = packuments.get(name);
  if (!pending) {
    pending = (async () => {
      const url = `${await registryUrl()}/${name.replace('/', '%2f')}`;
      let body: { versions?: Record<string, { engines?: { node?: string } | unknown; deprecated?: string }> };
      try {
        const response = await fetch(url, { headers: { Accept: 'application/vnd.npm.install-v1+json' }, signal: AbortSignal.timeout(60_000) });
        if (response.status === 404) throw new IndexError(`the npm registry has no package '${name}'`);
        if (!response.ok) throw new IndexError(`the npm registry answered ${response.status} for ${name}`);
        body = (await response.json()) as typeof body;
      } catch (error) {
        if (error instanceof IndexError) throw error;
        throw new IndexError(`cannot read the npm registry for ${name}: ${(error as Error).message}`);
      }
      return Object.entries(body.versions ?? {}).map(([version, meta]) => {
        const engines = meta.engines && typeof meta.engines === 'object' && !Array.isArray(meta.engines) ? (meta.engines as { node?: unknown }) : undefined;
        return {
          version,
          ...(typeof engines?.node === 'string' ? { engines: { node: engines.node } } : {}),
          ...(typeof meta.deprecated === 'string' && meta.deprecated ? { deprecated: meta.deprecated } : {}),
        };
      });
    })();
    pending.catch(() => packuments.delete(name));
    packuments.set(name, pending);
  }
  return pending;
}

/** Every release of an npm package, oldest first; a deprecated release counts as yanked (its publisher asks that nobody install it). */
export async function listNpmReleases(name: string): Promise<Release[]> {
  return (await npmReleases(name))
    .filter((r) => npmScheme.valid(r.version))
    .map((r) => ({ version: r.version, yanked: r.deprecated !== undefined, prerelease: npmScheme.prerelease(r.version) }))
    .sort((a, b) => npmScheme.compare(a.version, b.version));
}

const npmScheme = versionScheme('npm');

/** Every release of a package, oldest first. */
export async function listReleases(name: string): Promise<Release[]> {
  const base = (await packageIndexUrl()).replace(/\/+$/, '');
  const url = `${base}/${normaliseName(name)}/`;
  let page: string;
  try {
    const response = await fetch(url, { headers: { Accept: 'text/html' }, signal: AbortSignal.timeout(60_000) });
    if (response.status === 404) throw new IndexError(`the package index has no project '${name}'`);
    if (!response.ok) throw new IndexError(`the package index answered ${response.status} for ${url}`);
    page = await response.text();
  } catch (error) {
    if (error instanceof IndexError) throw error;
    throw new IndexError(`cannot read the package index at ${url}: ${(error as Error).message}`);
  }
  return parseSimplePage(page, name);
}

/** Parse a PEP 503 page: one anchor per file; a version is yanked when all of its files are. */
export function parseSimplePage(page: string, name: string): Release[] {
  const files = new Map<string, boolean[]>();
  const requires = new Map<string, string>();
  for (const match of page.matchAll(/<a\s([^>]*)>([^<]+)<\/a>/gi)) {
    const version = versionOfFile(match[2]!.trim(), name);
    if (!version) continue;
    const yanked = /\sdata-yanked(=|\s|$)/i.test(` ${match[1]}`);
    files.set(version, [...(files.get(version) ?? []), yanked]);
    const python = /data-requires-python="([^"]*)"/i.exec(match[1]!)?.[1];
    if (python && !requires.has(version)) requires.set(version, unescapeHtml(python));
  }
  return [...files]
    .map(([version, yanks]) => ({
      version,
      yanked: yanks.every(Boolean),
      prerelease: explain(version)?.is_prerelease ?? false,
      ...(requires.has(version) ? { requiresPython: requires.get(version)! } : {}),
    }))
    .sort((a, b) => compare(a.version, b.version));
}

function unescapeHtml(text: string): string {
  return text.replace(/&gt;/g, '>').replace(/&lt;/g, '<').replace(/&amp;/g, '&').replace(/&quot;/g, '"');
}

/**
 * Why a pinned requirement cannot install on a Python version, from the index's Requires-Python, or
 * null when the index does not say so.
 */
export async function pythonTooOld(requirement: { name: string; specifier: string }, python: string): Promise<string | null> {
  const pinned = /^===?\s*([^,*\s]+)$/.exec(requirement.specifier)?.[1];
  if (!pinned) return null;
  const release = (await listReleases(requirement.name).catch(() => [])).find((r) => r.version === pinned);
  if (!release?.requiresPython || satisfies(python, release.requiresPython)) return null;
  return `${requirement.name} ${pinned} requires Python ${release.requiresPython}`;
}

function versionOfFile(filename: string, name: string): string | null {
  const stem = filename.replace(/\.(whl|tar\.gz|zip|tar\.bz2|tgz|egg)$/i, '');
  const project = normaliseName(name);
  let candidate: string | undefined;
  if (filename.endsWith('.whl')) {
    // {name}-{version}(-{build})?-{python}-{abi}-{platform}
    const parts = stem.split('-');
    if (normaliseName(parts[0] ?? '') !== project) return null;
    candidate = parts[1];
  } else {
    // {name}-{version}
    if (normaliseName(stem.slice(0, name.length)) !== project) return null;
    candidate = stem.slice(name.length + 1);
  }
  return candidate && valid(candidate) ? candidate : null;
}

export interface ReleaseFilter {
  from?: string;
  to?: string;
  includePrereleases?: boolean;
  includeYanked?: boolean;
}

export function selectReleases(releases: Release[], filter: ReleaseFilter, scheme: VersionScheme = versionScheme('python')): string[] {
  return releases
    .filter((r) => (filter.includePrereleases || !r.prerelease) && (filter.includeYanked || !r.yanked))
    .map((r) => r.version)
    .filter((v) => (!filter.from || scheme.compare(v, filter.from) >= 0) && (!filter.to || scheme.compare(v, filter.to) <= 0));
}

function byMinor(versions: string[], scheme: VersionScheme = versionScheme('python'), by: 'minor' | 'major' = 'minor'): Map<string, string[]> {
  const series = new Map<string, string[]>();
  for (const v of [...versions].sort(scheme.compare)) {
    const minor = scheme.series(v);
    const key = by === 'major' ? minor.split('.')[0]! : minor;
    series.set(key, [...(series.get(key) ?? []), v]);
  }
  return series;
}

/** The newest release of each minor series (0.13.3 for 0.13.*), oldest series first; by major for Node releases. */
export function latestPerMinor(versions: string[], scheme?: VersionScheme, by: 'minor' | 'major' = 'minor'): string[] {
  return [...byMinor(versions, scheme, by).values()].map((s) => s.at(-1)!);
}

/**
 * The first and the newest release of each minor series: behaviour tends to change at a series' first
 * release and to be patched within it, so both ends are sampled (0.13.0 and 0.13.3, for example).
 */
export function seriesEnds(versions: string[], scheme?: VersionScheme): string[] {
  return [...byMinor(versions, scheme).values()].flatMap((s) => [...new Set([s[0]!, s.at(-1)!])]);
}
