// One face for the sentinel builders of every runtime, chosen by the family record's `runtime`: wheels for
// Python families (wheel-builder.ts), npm tarballs for npm families (tarball-builder.ts). run-sentinels.ts
// asks this module for a line's builder, the requirement text that installs a build or pins a release, and
// the client target of such a spec, so it never knows which packaging a family uses.
import { pathToFileURL } from 'node:url';
import { family } from '../families.ts';
import type { NpmCache } from '../runtime/npm-env.ts';
import { npmTarget } from '../runtime/npm-env.ts';
import { type EnvironmentCache, venvTarget } from '../runtime/python-env.ts';
import type { ClientTarget } from '../runtime/target.ts';
import { parseClientSpec } from '../spec.ts';
import type { Edit } from './definition.ts';
import type { ClientLine } from './lines.ts';
import { type SentinelTarballs, tarballSpec } from './tarball-builder.ts';
import type { SentinelWheels, StaleWheel } from './wheel-builder.ts';

export interface BuiltPackage {
  kind: 'built';
  /** Absolute path of the built file (wheel or tarball). */
  file: string;
  /** The version the installed package reports, e.g. `0.28.1+sentinel.closeleak`. */
  version: string;
  /** Whether this call built it (false: from the cache). */
  created: boolean;
}

export interface SentinelBuilder {
  sweep(): Promise<void>;
  /** The newest final release the package's registry lists. */
  newest(name: string): Promise<string>;
  /** The release rebuilt with the edits as `<version>+<local>`, or stale; no edits: the unpatched rebuild. */
  rebuild(name: string, version: string, local: string, edits: Edit[], signal?: AbortSignal): Promise<BuiltPackage | StaleWheel>;
  /** The requirement (a word of a client spec) that installs a built file. */
  installs(name: string, file: string): string;
  /** The requirement that pins a release beside it. */
  pins(name: string, version: string): string;
  /** The client target of a spec made of such requirements, installed where the runtime installs. */
  target(spec: string): ClientTarget;
}

export function wheelBuilder(wheels: SentinelWheels, venvs: EnvironmentCache): SentinelBuilder {
  return {
    sweep: () => wheels.sweep(),
    newest: (name) => wheels.newest(name),
    rebuild: async (name, version, local, edits, signal) => {
      const built = await wheels.rebuild(name, version, local, edits, signal);
      return built.kind === 'built' ? { kind: 'built', file: built.wheel, version: built.version, created: built.created } : built;
    },
    // PEP 508 direct reference; the spec parser keeps `name @ url` together as one requirement.
    installs: (name, file) => `${name} @ ${pathToFileURL(file).href}`,
    pins: (name, version) => `${name}==${version}`,
    target: (spec) => venvTarget(venvs, parseClientSpec(spec)),
  };
}

/** `npm` is asked for only when an npm line is in play (it starts by probing the harness's Node). */
export function tarballBuilder(tarballs: SentinelTarballs, npm: () => NpmCache): SentinelBuilder {
  return {
    sweep: () => tarballs.sweep(),
    newest: (name) => tarballs.newest(name),
    rebuild: async (name, version, local, edits, signal) => {
      const built = await tarballs.rebuild(name, version, local, edits, signal);
      return built.kind === 'built' ? { kind: 'built', file: built.tarball, version: built.version, created: built.created } : built;
    },
    installs: (name, file) => tarballSpec(name, file),
    pins: (name, version) => `${name}@${version}`,
    // On the Node release that runs the harness, as any npm spec that names none.
    target: (spec) => npmTarget(npm(), parseClientSpec(spec)),
  };
}

/** The builders by runtime; a line's family record says which one its packages need. */
export class SentinelBuilders {
  readonly #byRuntime: Record<string, SentinelBuilder>;

  constructor(byRuntime: Record<string, SentinelBuilder>) {
    this.#byRuntime = byRuntime;
  }

  all(): SentinelBuilder[] {
    return Object.values(this.#byRuntime);
  }

  forLine(line: ClientLine): SentinelBuilder {
    const runtime: string = family(line).runtime;
    const builder = this.#byRuntime[runtime];
    if (!builder) throw new Error(`no sentinel builder for the ${runtime} runtime of the ${line} family`);
    return builder;
  }
}

/** Wheels for Python families, tarballs for npm families: the key is the family record's `runtime`. */
export function sentinelBuilders(wheels: SentinelWheels, venvs: EnvironmentCache, tarballs: SentinelTarballs, npm: () => NpmCache): SentinelBuilders {
  return new SentinelBuilders({ python: wheelBuilder(wheels, venvs), npm: tarballBuilder(tarballs, npm) });
}
