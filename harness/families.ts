// Client families are data: one folder per family under families/ (families/<id>/family.json beside the
// family's client contract), read here and nowhere else. The harness core (runner, session, specs, lock
// files, tables, bisect, diff, reports, containers) asks this module which family a spec, an installed
// environment or a package name belongs to; it never names a client itself. Adding a family adds its folder.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { versionScheme } from './version-schemes.ts';

/** Next to harness/ in a checkout, and next to dist/harness/ in the package (the build copies it). */
export const FAMILIES_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'families');

const packageName = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'a PEP 503 normalised distribution name (or an unscoped npm package name)');

const FamilyRecord = z.strictObject({
  /** The family's name on the command line (`--family`), in tables and in clients/<program>.py. */
  id: z.string().regex(/^[a-z][a-z0-9-]*$/),
  title: z.string().min(1),
  /** The family `run` tests and `new` scaffolds for when no client or family is named (exactly one has it). */
  default: z.boolean().optional(),
  /**
   * How its environments are made and its client programs run: `python` (a venv per spec, programs
   * clients/<program>.py, PEP 440 versions) or `npm` (a node_modules folder per spec and Node release,
   * programs clients/<program>.mjs run by that Node release, semver versions).
   */
  runtime: z.enum(['python', 'npm']),
  /**
   * npm families only: the release under test is the Node release itself (node:http, the built-in fetch);
   * its spec's version names a Node release (`fetch@22`), installed as the npm package `node`.
   */
  nodeIsRelease: z.boolean().optional(),
  /** The distribution whose version is "the release under test". */
  distribution: packageName,
  /** What a client program imports (a Python module, an npm package, or a Node built-in such as node:http). */
  module: z.string().regex(/^[A-Za-z_][A-Za-z0-9_.:-]*$/),
  /** Distributions released with the client that a spec may pin beside it (httpcore beside httpx). */
  companions: z.array(packageName),
  /** Distributions whose versions a result records (probed in the client's own environment). */
  reported: z.array(packageName),
  /** Of those, the ones recorded even when absent (null), so a result shows what was missing. */
  alwaysReported: z.array(packageName),
  /** PEP 440 range of the releases the family's client contract can drive; outside it: not-applicable. */
  supported: z.string(),
  why: z.string(),
  /**
   * Releases that need a newer interpreter than the one the harness found (python families), or a newer
   * Node release than the one a spec runs on (npm families: `node`, a semver range), and why.
   */
  interpreter: z.array(z.strictObject({ releases: z.string(), python: z.string().optional(), node: z.string().optional(), why: z.string() })),
  /**
   * The client contract: the Python module client programs import (it lives in this family's folder or in
   * harness/python), and the name of the program each scenario holds for the family (clients/<program>.py).
   * A fork that keeps its parent's API (httpx2) names its parent's program and contract.
   */
  contract: z.strictObject({ module: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), program: z.string().regex(/^[a-z][a-z0-9-]*$/) }),
  /** A lock that pins one of these packages uses the family's extra of that name (h2 → http2). */
  extrasOfPackage: z.record(packageName, z.string()),
  /** The packages a sentinel build can be put into, client first. */
  sentinelPackages: z.array(packageName).min(1),
  /** Which releases `regress tables` runs: newest of each minor series from `from`, and perhaps the whole newest series. */
  tables: z.strictObject({
    from: z.string(),
    everyReleaseOfNewestSeries: z.boolean(),
    /** The series a row stands for (default minor); Node releases by major: 18, 20, 22, 24. */
    series: z.enum(['minor', 'major']).optional(),
  }),
});

export type ClientFamily = z.infer<typeof FamilyRecord> & {
  /** The family's folder (its record and, unless it borrows one, its contract module). */
  dir: string;
};

export class FamilyError extends Error {}

let loaded: ClientFamily[] | undefined;

/** Every family, in id order. Read once per process: the records are part of the installed harness. */
export function families(): ClientFamily[] {
  if (loaded) return loaded;
  const found: ClientFamily[] = [];
  for (const entry of readdirSync(FAMILIES_DIR, { withFileTypes: true })) {
    const file = join(FAMILIES_DIR, entry.name, 'family.json');
    if (!entry.isDirectory() || !existsSync(file)) continue;
    const parsed = FamilyRecord.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (!parsed.success) {
      throw new FamilyError(`${file}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(record)'}: ${i.message}`).join('; ')}`);
    }
    if (parsed.data.id !== entry.name) throw new FamilyError(`${file} declares id '${parsed.data.id}'; the folder name is the id`);
    found.push({ ...parsed.data, dir: join(FAMILIES_DIR, entry.name) });
  }
  return (loaded = found.sort((a, b) => a.id.localeCompare(b.id)));
}

export function familyIds(): string[] {
  return families().map((f) => f.id);
}

/** The family of that id; an unknown id is bad input, named with the known ones. */
export function family(id: string): ClientFamily {
  const found = families().find((f) => f.id === id);
  if (!found) throw new FamilyError(`unknown client family '${id}' (known: ${familyIds().join(', ')})`);
  return found;
}

/** The family used when no client is named (the record that says `"default": true`). */
export function defaultFamily(): ClientFamily {
  const marked = families().filter((f) => f.default);
  if (marked.length !== 1) throw new FamilyError(`exactly one family record must say "default": true (found ${marked.length})`);
  return marked[0]!;
}

/** The family whose client under test is this distribution (not a companion), or undefined. */
export function familyOfDistribution(name: string): ClientFamily | undefined {
  return families().find((f) => f.distribution === name);
}

/**
 * The family a set of requirement names tests: the one family whose distribution is named and is not a
 * companion of another named family (`requests urllib3` tests requests; `urllib3` alone tests urllib3).
 * None or several is a bad spec, said in one line.
 */
export function familyOfNames(names: string[], spec: string): ClientFamily {
  // PEP 508 specs name Python clients; npm specs are told apart and read by spec.ts itself.
  const python = families().filter((f) => f.runtime === 'python');
  const named = python.filter((f) => names.includes(f.distribution));
  const companionsOfNamed = new Set(named.flatMap((f) => f.companions));
  const clients = named.filter((f) => !companionsOfNamed.has(f.distribution));
  if (clients.length > 1) {
    throw new FamilyError(`client spec '${spec}' names ${clients.map((f) => f.distribution).join(' and ')}: a label tests one client; give each its own --client`);
  }
  const found = clients[0];
  if (!found) throw new FamilyError(`client spec '${spec}' names no client under test (expected one of ${python.map((f) => f.distribution).join(', ')})`);
  return found;
}

/** The family an environment's client module belongs to (results record the import name). */
export function familyOfModule(module: string): ClientFamily {
  const found = families().find((f) => f.module === module);
  if (!found) throw new FamilyError(`no client family imports '${module}' (known: ${families().map((f) => f.module).join(', ')})`);
  return found;
}

/** How a spec names the family's client: its package (undici, httpx), or its id when the release is the Node release (node-http@20). */
export function specName(f: ClientFamily): string {
  return f.nodeIsRelease ? f.id : f.distribution;
}

/** The file extension of the family's client programs and contract module. */
export function programExtension(f: ClientFamily): '.py' | '.mjs' {
  return f.runtime === 'npm' ? '.mjs' : '.py';
}

/** The folder holding the family's contract module: its own, or the one of the family whose program it runs. */
export function contractDir(f: ClientFamily): string {
  const file = `${f.contract.module}${programExtension(f)}`;
  if (existsSync(join(f.dir, file))) return f.dir;
  const parent = families().find((p) => p.id === f.contract.program && p !== f);
  if (parent && existsSync(join(parent.dir, file))) return parent.dir;
  throw new FamilyError(`family ${f.id}: its contract module ${file} is neither in ${f.dir} nor in the folder of family '${f.contract.program}'`);
}

/** The family's contract module file (npm families: the module client programs import as @regress/contract). */
export function contractFile(f: ClientFamily): string {
  return join(contractDir(f), `${f.contract.module}${programExtension(f)}`);
}

/** Why an installed release is outside the family's client contract, or null when it is inside. */
export function unsupportedReason(f: ClientFamily, version: string | null | undefined): string | null {
  if (!version) return `${f.distribution} is not installed in this environment`;
  return versionScheme(f.runtime).satisfies(version, f.supported) ? null : `${f.distribution} ${version} is outside the client contract (${f.supported}): ${f.why}`;
}

/**
 * Why this release cannot run on the harness's interpreter, or null: a release that declares a newer
 * Python than the one environments are built with is named with the version it needs, never installed
 * into a resolver error. For an npm family, `python` is the Node release the spec runs on.
 */
export function interpreterReason(f: ClientFamily, version: string, python: string): string | null {
  const scheme = versionScheme(f.runtime);
  for (const need of f.interpreter) {
    if (!scheme.satisfies(version, need.releases)) continue;
    if (f.runtime === 'npm') {
      if (need.node && !versionScheme('npm').satisfies(python, need.node)) {
        return `${f.distribution} ${version} needs Node ${need.node} (${need.why}); it would run on Node ${python}: pass --node with one that is`;
      }
    } else if (need.python && !versionScheme('python').satisfies(python, need.python)) {
      return `${f.distribution} ${version} needs Python ${need.python} (${need.why}); the harness's interpreter is ${python}: pass --python with one that is`;
    }
  }
  return null;
}
