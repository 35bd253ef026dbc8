// Releases of a package, from the package index pip itself is configured to use (PEP 503 simple pages
// with PEP 592 yank marks), ordered by PEP 440 with @renovatebot/pep440. No index host is written here:
// the URL comes from PIP_INDEX_URL, pip's configuration, or pip's own default.
import { compare, explain, satisfies, valid } from '@renovatebot/pep440';
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

/**
 * Every release of an npm package, oldest first, from the registry npm itself is configured with (`npm
 * view`, so no registry host is written here). A deprecated release counts as yanked: its publisher asks
 * that nobody install it (bisect and tables leave it out unless told).
 */
export async function listNpmReleases(name: string): Promise<Release[]> {
  const execa = await loadExeca();
  const result = await execa('npm', ['view', name, 'versions', '--json', '--no-update-notifier'], { reject: false, timeout: 120_000 });
  if (result.exitCode !== 0) {
    const said = String(result.stderr);
    if (/E404|is not in this registry/.test(said)) throw new IndexError(`the npm registry has no package '${name}'`);
    throw new IndexError(`cannot list the releases of ${name} on npm: ${said.trim().split('\n').find((l) => /error/i.test(l)) ?? `npm exited ${result.exitCode}`}`);
  }
  const parsed = JSON.parse(String(result.stdout)) as string[] | string;
  const versions = (Array.isArray(parsed) ? parsed : [parsed]).filter((v) => npmScheme.valid(v));
  const deprecated = await npmDeprecated(name);
  return versions
    .map((version) => ({ version, yanked: deprecated.has(version), prerelease: npmScheme.prerelease(version) }))
    .sort((a, b) => npmScheme.compare(a.version, b.version));
}

const npmScheme = versionScheme('npm');

/** The releases npm marks deprecated (one `npm view name@* deprecated` call; none when it cannot say). */
async function npmDeprecated(name: string): Promise<Set<string>> {
  const result = await (await loadExeca())('npm', ['view', `${name}@*`, 'deprecated', '--json', '--no-update-notifier'], { reject: false, timeout: 120_000 });
  if (result.exitCode !== 0 || !String(result.stdout).trim()) return new Set();
  try {
    const parsed = JSON.parse(String(result.stdout)) as unknown;
    // Several releases: an array of { "name@version": message } pairs or strings, by npm version; one: a string.
    const found = new Set<string>();
    const text = JSON.stringify(parsed);
    for (const m of text.matchAll(new RegExp(`${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}@([0-9][^"\\s]*)`, 'g'))) found.add(m[1]!);
    return found;
  } catch {
    return new Set();
  }
}

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
