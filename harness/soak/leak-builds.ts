// Builds a soak must flag as `leak`, defined once so the CLI (`regress soak --sentinel`), the tests and the
// README use the same thing. A build is a scenario's sentinel (scenarios/<id>/sentinels.ts: exact-text
// edits of a real wheel) rebuilt by the sentinel machinery (harness/sentinels/wheel-builder.ts), installed
// beside the line's other packages pinned at the releases named here.
import { pathToFileURL } from 'node:url';
import { type Edit, localLabel } from '../sentinels/definition.ts';
import { CLIENT_LINES, type ClientLine, lineDefinition } from '../sentinels/lines.ts';
import { loadSentinels } from '../sentinels/load.ts';
import { describeStale, type SentinelWheels } from '../sentinels/wheel-builder.ts';
import type { Scenario } from '../types.ts';

export interface LeakBuild {
  /** `scenario/sentinel`, e.g. `pool-exhaustion-after-close/close-leak`. */
  sentinel: string;
  line: ClientLine;
  /** Releases of the line's packages the build is made from and installed beside. */
  releases: Record<string, string>;
  why: string;
}

/**
 * httpx 0.28.1 whose `AsyncClient.__aexit__` does not close its transport (the close-leak sentinel of
 * pool-exhaustion-after-close): every connection of every `async with` stays open while the process
 * lives, so a soak of `pool-exhaustion-after-close/reenter` must grow by one socket per connection.
 */
export const CLOSE_LEAK: LeakBuild = {
  sentinel: 'pool-exhaustion-after-close/close-leak',
  line: 'httpx',
  releases: { httpx: '0.28.1', httpcore: '1.0.9' },
  why: "AsyncClient.__aexit__ does not close its transport",
};

/**
 * A leak build that is no scenario's sentinel: exact-text edits of one release of a line's package, made
 * here because no single pass can catch it (a sentinel must be caught by its scenario's cases, this one
 * passes them all), so only a soak or the gate's repetition can.
 */
export interface PatchedLeakBuild {
  id: string;
  line: ClientLine;
  package: string;
  release: string;
  edits: Edit[];
  why: string;
}

/**
 * aiohttp 3.14.5 whose connector neither pools nor closes a connection released for reuse: `_release`
 * forgets the protocol, whose socket stays registered with the event loop (so the garbage collector never
 * closes it) and open at the server. Every request still gets its answer on a fresh connection, so every
 * case holds once; a soak must grow by one socket per kept-alive connection. connector.py is pure Python in
 * every wheel (the C extensions are the HTTP parser and writer only), so the edited code is the code that runs.
 */
export const AIOHTTP_POOL_LEAK: PatchedLeakBuild = {
  id: 'pool-leak',
  line: 'aiohttp',
  package: 'aiohttp',
  release: '3.14.5',
  edits: [
    {
      file: 'aiohttp/connector.py',
      find: '        self._conns[key].append((protocol, monotonic()))\n',
      replace: '        return  # leak build pool-leak: the released connection is neither pooled nor closed\n',
    },
  ],
  why: 'TCPConnector._release neither pools nor closes a kept-alive connection',
};

/** The client spec of a patched leak build (`aiohttp @ file:///…/aiohttp-3.14.5+sentinel.poolleak-….whl`). */
export async function patchedLeakSpec(build: PatchedLeakBuild, wheels: SentinelWheels, signal?: AbortSignal): Promise<{ spec: string; version: string }> {
  const built = await wheels.rebuild(build.package, build.release, localLabel(build.id), build.edits, signal);
  if (built.kind === 'stale') throw new LeakBuildError(`leak build '${build.id}' is stale for ${build.package} ${build.release}: ${describeStale(built.problems)}`);
  const others = lineDefinition(build.line).packages.filter((p) => p !== build.package);
  if (others.length) throw new LeakBuildError(`leak build '${build.id}': the ${build.line} line has other packages (${others.join(', ')}) to pin`);
  return { spec: `${build.package} @ ${pathToFileURL(built.wheel).href}`, version: `${build.package} ${built.version}` };
}

export class LeakBuildError extends Error {}

/** Parse `scenario/sentinel` (or a bare sentinel id, looked up in every scenario). */
export async function findSentinel(name: string, all: Scenario[]) {
  const [scenarioId, id] = name.includes('/') ? (name.split('/', 2) as [string, string]) : [null, name];
  const declared = await loadSentinels(scenarioId ? all.filter((s) => s.meta.id === scenarioId) : all);
  const matches = declared.filter((d) => d.sentinel.id === id);
  if (matches.length !== 1) {
    const known = (await loadSentinels(all)).map((d) => `${d.scenario.meta.id}/${d.sentinel.id}`);
    throw new LeakBuildError(`${matches.length ? 'ambiguous' : 'unknown'} sentinel '${name}' (known: ${known.join(', ')})`);
  }
  return matches[0]!;
}

/**
 * The client spec of a sentinel build: the patched package as a rebuilt local wheel, the line's other
 * packages pinned (`httpx @ file:///…/httpx-0.28.1+sentinel.closeleak-….whl httpcore==1.0.9`).
 */
export async function sentinelSpec(
  build: Pick<LeakBuild, 'sentinel' | 'line'> & { releases?: Record<string, string> },
  all: Scenario[],
  wheels: SentinelWheels,
  signal?: AbortSignal,
): Promise<{ spec: string; version: string }> {
  const { sentinel } = await findSentinel(build.sentinel, all);
  const variant = sentinel.variants.find((v) => v.line === build.line);
  if (!variant) throw new LeakBuildError(`sentinel '${build.sentinel}' has no variant for the ${build.line} line`);
  const packages = lineDefinition(build.line).packages;
  const releases: Record<string, string> = {};
  for (const p of packages) releases[p] = build.releases?.[p] ?? (await wheels.newest(p));
  const built = await wheels.rebuild(variant.package, releases[variant.package]!, localLabel(sentinel.id), variant.edits, signal);
  if (built.kind === 'stale') {
    throw new LeakBuildError(`sentinel '${build.sentinel}' is stale for ${variant.package} ${releases[variant.package]}: ${describeStale(built.problems)}`);
  }
  const spec = packages.map((p) => (p === variant.package ? `${p} @ ${pathToFileURL(built.wheel).href}` : `${p}==${releases[p]}`)).join(' ');
  return { spec, version: `${variant.package} ${built.version}` };
}
