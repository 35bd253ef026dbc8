// Client specs: one or more PEP 508 requirements in one argument, e.g. "httpx==0.26.0 httpcore==1.0.2",
// "requests==2.32.3 urllib3==2.2.1", "httpx" (latest), "urllib3", or a direct reference
// "httpx@file:///path/httpx-x.whl". Which family a spec tests comes from the family records (families.ts).
// Version specifiers are checked with @renovatebot/pep440 (a port of Python's `packaging`).
import { validRange } from '@renovatebot/pep440';
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { family, FamilyError, familyOfNames } from './families.ts';
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
}

const NAME = /^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)(\[[A-Za-z0-9._,\s-]*\])?(.*)$/s;

export function normaliseName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

export function parseClientSpec(raw: string): ClientSpec {
  const tokens = joinDirectReferences(raw.trim().split(/\s+/).filter(Boolean));
  if (tokens.length === 0) throw new SpecError('empty client spec');
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
