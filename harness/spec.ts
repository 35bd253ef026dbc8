// Client specs: one or more PEP 508 requirements in one argument, e.g. "httpx==0.26.0 httpcore==1.0.2",
// "requests==2.32.3 urllib3==2.2.1", "httpx" (latest), "urllib3", or a direct reference
// "httpx@file:///path/httpx-x.whl". Which family a spec tests comes from the family records (families.ts).
// Version specifiers are checked with @renovatebot/pep440 (a port of Python's `packaging`).
import { validRange } from '@renovatebot/pep440';
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ClientFamily, families, family, FamilyError, familyOfNames } from './families.ts';
import { versionScheme } from './version-schemes.ts';
import type { LockInfo } from './types.ts';

export class SpecError extends Error {}

export interface Requirement {
  /** PEP 503 normalised name. */
  name: string;
  extras: string[];
  specifier: string;
  url?: string;
  /** The requirement as handed to the installer. */
  text: string;
  /** As shown in results: a local file by its name (its sha256 is in `installed.files`), not its path. */
  label: string;
}

export interface ClientSpec {
  /** Canonical text: requirements joined by one space, as typed (names normalised). */
  label: string;
  requirements: Requirement[];
  /** The client family under test (families/<id>/family.json). */
  family: string;
  /** Import name of the client under test. */
  module: string;
  /** True when every requirement names one exact release or artefact; unpinned specs are re-resolved. */
  pinned: boolean;
  /** Local files the spec points at; their content is part of the environment's identity. */
  localFiles: string[];
  /** Set when the spec was read from a lock file: every requirement is one of its pins. */
  lock?: LockInfo;
  /**
   * npm families: the Node release the client runs on (`20`, `22.23.3`), installed as the npm package
   * `node`; absent: the Node that runs the harness. For a family whose release is the Node release
   * (node:http, the built-in fetch) it is that release.
   */
  node?: string;
  /**
   * A package-lock.json's entries for the client's closure, by install path (`node_modules/a/node_modules/b`):
   * installed as the lock has them (npm ci), so a package locked at two versions in two places stays so.
   */
  npmLockTree?: Record<string, Record<string, unknown>>;
}

/** The npm package whose releases are Node releases (its preinstall fetches the platform's binary). */
export const NODE_PACKAGE = 'node';

const NAME = /^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)(\[[A-Za-z0-9._,\s-]*\])?(.*)$/s;

export function normaliseName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

export function parseClientSpec(raw: string): ClientSpec {
  const tokens = joinDirectReferences(raw.trim().split(/\s+/).filter(Boolean));
  if (tokens.length === 0) throw new SpecError('empty client spec');
  const npmTokens = tokens.filter(isNpmToken);
  if (npmTokens.length === tokens.length) return parseNpmSpec(raw, tokens);
  if (npmTokens.length > 0) {
    throw new SpecError(`client spec '${raw}' mixes npm packages (${npmTokens.join(', ')}) with Python requirements: give each client its own --client`);
  }
  const requirements = tokens.map(parseRequirement);
  const names = requirements.map((r) => r.name);
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate) throw new SpecError(`client spec '${raw}' names ${duplicate} twice`);
  // A label names one client under test: `requests==2.32.3 urllib3==2.2.1` tests requests with a given
  // urllib3; `httpx httpx2` would test one under a label that also names the other (two --client specs).
  let client;
  try {
    client = familyOfNames(names, raw);
  } catch (error) {
    if (error instanceof FamilyError) throw new SpecError(error.message);
    throw error;
  }
  return {
    label: requirements.map((r) => r.label).join(' '),
    requirements,
    family: client.id,
    module: client.module,
    pinned: requirements.every((r) => r.url !== undefined || /^(===?)[^,*]+$/.test(r.specifier)),
    localFiles: requirements.flatMap((r) => (r.url?.startsWith('file:') ? [localPath(r.url)] : [])),
  };
}

/**
 * The same spec with extras added to the client under test's requirement (a scenario that needs HTTP/2
 * asks for `http2`): `httpx==0.28.1` becomes `httpx[http2]==0.28.1`. Installers accept an extra a release
 * does not declare (httpx 0.10 had h2 as a plain dependency), so no release needs special casing.
 */
export function withClientExtras(spec: ClientSpec, extras: string[]): ClientSpec {
  const requirements = spec.requirements.map((r) => {
    const missing = extras.filter((e) => !r.extras.includes(e));
    if (r.name !== family(spec.family).distribution || missing.length === 0) return r;
    const all = [...r.extras, ...missing];
    const inject = (text: string): string => text.replace(/^([^[@=<>!~\s]+)(\[[^\]]*\])?/, `$1[${all.join(',')}]`);
    return { ...r, extras: all, text: inject(r.text), label: inject(r.label) };
  });
  return { ...spec, requirements, label: requirements.map((r) => r.label).join(' ') };
}

/** `name @ url` may arrive as one token or as three. */
function joinDirectReferences(tokens: string[]): string[] {
  const joined: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token === '@' || (token.startsWith('@') && joined.length > 0 && !joined.at(-1)!.includes('@'))) {
      joined[joined.length - 1] += token === '@' ? `@${tokens[++i] ?? ''}` : token;
    } else if (token.endsWith('@') && i + 1 < tokens.length) {
      joined.push(token + tokens[++i]!);
    } else {
      joined.push(token);
    }
  }
  return joined;
}

function localPath(url: string): string {
  try {
    return fileURLToPath(url);
  } catch (error) {
    throw new SpecError(`'${url}' is not a local file URL (${(error as Error).message}); use file:///absolute/path`);
  }
}

function parseRequirement(token: string): Requirement {
  const match = NAME.exec(token);
  if (!match) throw new SpecError(`'${token}' is not a PEP 508 requirement (expected e.g. httpx==0.28.1)`);
  const name = normaliseName(match[1]!);
  const extras = match[2] ? match[2].slice(1, -1).split(',').map((e) => e.trim()).filter(Boolean) : [];
  const rest = match[3]!.trim();
  const extrasText = extras.length ? `[${extras.join(',')}]` : '';
  if (rest.startsWith('@')) {
    const url = rest.slice(1).trim();
    if (!/^(file|https?|git\+[a-z]+):\/\/\S+$/.test(url)) {
      throw new SpecError(`'${token}': a direct reference needs a file://, https:// or git+ URL`);
    }
    if (url.startsWith('file:')) {
      const path = localPath(url);
      if (!existsSync(path)) throw new SpecError(`'${token}': no such file ${path}`);
    }
    const shown = url.startsWith('file:') ? basename(localPath(url)) : url;
    return { name, extras, specifier: '', url, text: `${name}${extrasText} @ ${url}`, label: `${name}${extrasText} @ ${shown}` };
  }
  if (rest.includes(';')) throw new SpecError(`'${token}': environment markers are not supported in a client spec`);
  if (rest !== '' && !validRange(rest)) {
    throw new SpecError(`'${token}': '${rest}' is not a valid PEP 440 version specifier`);
  }
  const text = `${name}${extrasText}${rest}`;
  return { name, extras, specifier: rest, text, label: text };
}

// ---------------------------------------------------------------------------------------------------------
// npm specs: `undici@7.27.2`, `"axios@1.16.1 follow-redirects@1.15.5"` (a companion pinned through npm
// overrides), `"undici@8.4.0 node@22"` (the Node release it runs on), `node-http@20` and `fetch@22` (families
// whose release is the Node release), `got` (the newest), `undici@file:///abs/undici-8.14.1.tgz` (a build).

const NPM_TOKEN = /^([a-z0-9][a-z0-9._-]*)(?:@(.+))?$/;

function npmFamilies(): ClientFamily[] {
  return families().filter((f) => f.runtime === 'npm');
}

/** Whether a token names an npm family's package, companion or id, or a Node release. */
function isNpmToken(token: string): boolean {
  const name = NPM_TOKEN.exec(token)?.[1];
  if (!name) return false;
  return name === NODE_PACKAGE || npmFamilies().some((f) => f.id === name || f.distribution === name || f.companions.includes(name));
}

function parseNpmSpec(raw: string, tokens: string[]): ClientSpec {
  const parsed = tokens.map((token) => {
    const match = NPM_TOKEN.exec(token)!;
    return { name: match[1]!, range: match[2] ?? '' };
  });
  const names = parsed.map((p) => p.name);
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate) throw new SpecError(`client spec '${raw}' names ${duplicate} twice`);
  // A family whose release is the Node release is named by its id (node-http@20, fetch@22); the others by
  // their package, with companions and `node@N` beside it.
  const byId = npmFamilies().filter((f) => f.nodeIsRelease && names.includes(f.id));
  const byPackage = npmFamilies().filter((f) => !f.nodeIsRelease && names.includes(f.distribution));
  const companions = new Set(byPackage.flatMap((f) => f.companions));
  const clients = [...byId, ...byPackage.filter((f) => !companions.has(f.distribution))];
  if (clients.length > 1) throw new SpecError(`client spec '${raw}' names ${clients.map((f) => f.id).join(' and ')}: a label tests one client; give each its own --client`);
  const client = clients[0];
  if (!client) {
    const releaseFamilies = npmFamilies().filter((f) => f.nodeIsRelease).map((f) => f.id);
    const hint = names.includes(NODE_PACKAGE) ? ` (a Node release alone is no client: ${releaseFamilies.map((id) => `${id}@N`).join(' or ')})` : '';
    throw new SpecError(`client spec '${raw}' names no client under test${hint} (expected one of ${npmFamilies().map((f) => (f.nodeIsRelease ? f.id : f.distribution)).join(', ')})`);
  }
  const scheme = versionScheme('npm');
  const requirements: Requirement[] = [];
  let node: string | undefined;
  for (const { name, range } of parsed) {
    if (range.startsWith('file:')) {
      const url = range.startsWith('file://') ? range : `file://${range.slice('file:'.length)}`;
      const path = localPath(url);
      if (!existsSync(path)) throw new SpecError(`'${name}@${range}': no such file ${path}`);
      requirements.push({ name, extras: [], specifier: '', url, text: `${name}@file:${path}`, label: `${name}@${basename(path)}` });
      continue;
    }
    if (range && !scheme.validRange(range)) throw new SpecError(`'${name}@${range}': '${range}' is not an npm version or range (expected e.g. ${name}@1.2.3)`);
    const ownRelease = name === client.id && client.nodeIsRelease;
    if (name === NODE_PACKAGE || ownRelease) {
      if (name === NODE_PACKAGE && client.nodeIsRelease) {
        throw new SpecError(`client spec '${raw}': the ${client.id} family's release is the Node release; write ${client.id}@${range || 'N'}`);
      }
      if (range) node = range;
      if (ownRelease) {
        const text = `${NODE_PACKAGE}${range ? `@${range}` : ''}`;
        requirements.push({ name: NODE_PACKAGE, extras: [], specifier: range, text, label: `${client.id}${range ? `@${range}` : ''}` });
      }
      continue;
    }
    if (name !== client.distribution && !client.companions.includes(name)) {
      throw new SpecError(`client spec '${raw}': ${name} is neither ${client.distribution} nor one of its companions (${client.companions.join(', ') || 'none'})`);
    }
    requirements.push({ name, extras: [], specifier: range, text: range ? `${name}@${range}` : name, label: range ? `${name}@${range}` : name });
  }
  // The client first, as it is installed and shown.
  requirements.sort((a, b) => Number(b.name === client.distribution) - Number(a.name === client.distribution));
  const exact = (range: string): boolean => scheme.valid(range);
  const nodeLabel = node && !client.nodeIsRelease ? [`${NODE_PACKAGE}@${node}`] : [];
  return {
    label: [...requirements.map((r) => r.label), ...nodeLabel].join(' '),
    requirements,
    family: client.id,
    module: client.module,
    // No Node release named: the Node that runs the harness, which one run cannot change.
    pinned: requirements.every((r) => r.url !== undefined || exact(r.specifier) || (r.name === NODE_PACKAGE && r.specifier === '')) && (node === undefined || exact(node)),
    localFiles: requirements.flatMap((r) => (r.url ? [localPath(r.url)] : [])),
    ...(node ? { node } : {}),
  };
}

/**
 * The same npm spec on another Node release (`--node 22`): for a family whose release is the Node release
 * that release is the client's own version. A spec that already names its Node release keeps it.
 */
export function onNode(spec: ClientSpec, release: string): ClientSpec {
  const f = family(spec.family);
  if (f.runtime !== 'npm' || spec.node) return spec;
  if (f.nodeIsRelease) return parseClientSpec(`${f.id}@${release}`);
  return parseClientSpec(`${spec.label} ${NODE_PACKAGE}@${release}`);
}

/** The spec of one release of a family, as tables and bisect probe it: httpx==0.28.1, undici@7.27.2, fetch@22.23.3. */
export function releaseSpec(f: ClientFamily, version: string, beside = ''): ClientSpec {
  const own = f.runtime === 'python' ? `${f.distribution}==${version}` : f.nodeIsRelease ? `${f.id}@${version}` : `${f.distribution}@${version}`;
  return parseClientSpec(`${own} ${beside}`.trim());
}
