// Known failures: the open-upstream failures a team accepts in the releases it ships, recorded in a file
// so the gate still fails on anything new. A known reproduction stays `reproduced` in every result and
// report (nothing is hidden); it only stops deciding the exit code, and the reports mark it known.
//
// File format (JSON), validated by a schema (zod): an unknown key, a wrong type, an unknown scenario or
// case, a client that is not a requirement with a PEP 440 specifier is bad input, one line per problem:
//   { "known": [ { "scenario": "stream-double-cancel", "case": "double-cancel", "client": "httpx>=0.28.1",
//                  "why": "encode/httpx#3782, open upstream", "measure": 1 } ] }
// `case` and `client` are optional (any case / any client). `client` is a package name with an optional
// PEP 440 specifier (`httpx>=0.25`, `httpx==0.28.1`, `httpx2`), or for an npm client a semver range after
// `@` (`axios@^1.16.0`, `node@>=20` for node:http and fetch, whose release is Node's), matched against the version really
// installed in the result's environment (a local version `0.28.1+build` matches `==0.28.1`), never against
// the spec as typed: an unpinned `httpx` that resolves to a new release is matched by what it installed, so
// a file written as `httpx>=0.28.1` keeps passing when upstream ships a release that changes no verdict.
// `measure` is the accepted value of the judge's ReproductionMeasure: a reproduction measured beyond it
// (value > measure + the judge's tolerance) is new.
import { satisfies, validRange } from '@renovatebot/pep440';
import { versionScheme } from './version-schemes.ts';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { REPEAT_SUFFIX, repeatedCase } from './soak/gate-repeat.ts';
import type { CaseResult, ReproductionMeasure, Scenario } from './types.ts';

export class KnownFileError extends Error {}

export interface KnownFailure {
  scenario: string;
  case?: string;
  /** As written: a package name with an optional PEP 440 specifier. */
  client?: string;
  why: string;
  /** The accepted value of the reproduction's measure. */
  measure?: number;
}

const REQUIREMENT = /^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(.*?)\s*$/s;

/** PEP 503 name and specifier of a known entry's `client`, or null when it is not one. */
function parseClient(text: string): { name: string; specifier: string; npm?: boolean } | null {
  const m = REQUIREMENT.exec(text);
  if (!m) return null;
  const specifier = m[2]!;
  // An npm client's entry may use npm's own form: `axios@^1.16.0`, `node@>=20` (semver ranges).
  if (specifier.startsWith('@')) {
    const range = specifier.slice(1).trim();
    return versionScheme('npm').validRange(range) ? { name: normalise(m[1]!), specifier: range, npm: true } : null;
  }
  if (specifier !== '' && !validRange(specifier)) return null;
  return { name: normalise(m[1]!), specifier };
}

function normalise(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

const ENTRY_KEYS = ['scenario', 'case', 'client', 'why', 'measure'] as const;

function knownFileSchema(scenarios: Scenario[]) {
  const byId = new Map(scenarios.map((s) => [s.meta.id, s]));
  const entry = z
    .strictObject({
      scenario: z.string().refine((id) => byId.has(id), { error: (i) => `unknown scenario '${String(i.input)}'` }),
      case: z.string().min(1).optional(),
      client: z
        .string()
        .refine((c) => parseClient(c) !== null, {
          error: (i) => `'${String(i.input)}' is not a package name with a PEP 440 specifier (e.g. httpx>=0.25, httpx==0.28.1, httpx2)`,
        })
        .optional(),
      why: z.string().trim().min(1, { error: 'needs a non-empty "why": the reason the failure is accepted (an upstream link)' }),
      measure: z.number().nonnegative().finite().optional(),
    }, { error: (i) => (i.code === 'unrecognized_keys' ? `unknown key ${i.keys.map((k) => `"${k}"`).join(', ')} (allowed: ${ENTRY_KEYS.join(', ')})` : undefined) });
  return z.strictObject({ known: z.array(entry) }, { error: (i) => (i.code === 'unrecognized_keys' ? `unknown key ${i.keys.map((k) => `"${k}"`).join(', ')} (expected {"known": [ ... ]})` : undefined) });
}

/**
 * A case must be one of its scenario's: checked on the raw entries, beside the schema, so it is reported
 * with the entry's other problems (a zod refinement would wait until the rest of the entry is valid).
 */
function unknownCases(parsed: unknown, scenarios: Scenario[]): string[] {
  const list = (parsed as { known?: unknown } | null)?.known;
  if (!Array.isArray(list)) return [];
  return list.flatMap((entry: unknown, i) => {
    const e = entry as { scenario?: unknown; case?: unknown } | null;
    const scenario = scenarios.find((s) => s.meta.id === e?.scenario);
    if (!scenario || typeof e?.case !== 'string') return [];
    // The gate's leak repetition of a case is a row of its own (`<case>@repeat`), which an entry may name.
    const repeated = repeatedCase(scenario);
    const names = [...scenario.cases.map((c) => c.name), ...(repeated ? [`${repeated.name}${REPEAT_SUFFIX}`] : [])];
    if (names.includes(e.case)) return [];
    return [`known[${i}].case: unknown case '${e.case}' of ${scenario.meta.id} (cases: ${names.join(', ')})`];
  });
}

/** `known[2].client` from a zod issue path. */
function where(path: PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('');
}

/** Reads and validates a known-failures file; every problem is one line of the KnownFileError's message. */
export async function readKnownFailures(path: string, scenarios: Scenario[]): Promise<KnownFailure[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new KnownFileError(`cannot read known failures from ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return parseKnownFailures(text, path, scenarios);
}

export function parseKnownFailures(text: string, path: string, scenarios: Scenario[]): KnownFailure[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new KnownFileError(`${path}: not JSON: ${(error as Error).message}`);
  }
  const checked = knownFileSchema(scenarios).safeParse(parsed);
  const lines = [
    ...(checked.success ? [] : checked.error.issues.map((i) => `${path}: ${i.path.length ? `${where(i.path)}: ` : ''}${i.message}`)),
    ...unknownCases(parsed, scenarios).map((line) => `${path}: ${line}`),
  ];
  // In file order: the top level first, then entry by entry.
  const entryIndex = (line: string): number => Number(/: known\[(\d+)\]/.exec(line)?.[1] ?? -1);
  lines.sort((a, b) => entryIndex(a) - entryIndex(b));
  if (!checked.success || lines.length) throw new KnownFileError(lines.join('\n'));
  return checked.data.known.map((e) => ({
    scenario: e.scenario,
    why: e.why,
    ...(e.case !== undefined ? { case: e.case } : {}),
    ...(e.client !== undefined ? { client: e.client } : {}),
    ...(e.measure !== undefined ? { measure: e.measure } : {}),
  }));
}

/** Whether an entry names this result: its scenario, case and the release installed in its environment. */
export function entryMatches(entry: KnownFailure, result: CaseResult): boolean {
  if (entry.scenario !== result.scenario || (entry.case !== undefined && entry.case !== result.case)) return false;
  // A leak repetition (`<case>@repeat`) is accepted only by an entry that names it: its measure is a growth
  // per iteration, not the case's own, so an entry written for the case must not cover a leak.
  if (entry.case === undefined && result.case.endsWith(REPEAT_SUFFIX)) return false;
  if (entry.client === undefined) return true;
  const client = parseClient(entry.client);
  if (!client || !result.installed) return false;
  const installed = Object.entries(result.installed.packages).find(([name]) => normalise(name) === client.name)?.[1];
  // satisfies() follows PEP 440: `==0.28.1` accepts the local version 0.28.1+build. Pre-releases count:
  // the entry is matched against a release that ran, not choosing one to install (packaging's
  // `contains(v, prereleases=True)`), so `httpx>=0.28.1` covers a run of 1.0.0b1.
  if (typeof installed !== 'string') return false;
  if (client.npm) return versionScheme('npm').satisfies(installed, client.specifier);
  return client.specifier === '' || satisfies(installed, client.specifier, { prereleases: true });
}

/** Whether a reproduction's measure is within what the entry accepts (or there is nothing to compare). */
function withinMeasure(entry: KnownFailure, measure: ReproductionMeasure | undefined): boolean {
  return entry.measure === undefined || measure === undefined || measure.value <= entry.measure + measure.tolerance;
}

/** The entry that accepts this result (names it, and accepts its measure), if any. */
export function knownEntryFor(result: CaseResult, known: KnownFailure[]): KnownFailure | undefined {
  return known.find((k) => entryMatches(k, result) && withinMeasure(k, result.evidence.measure));
}

export interface KnownSplit {
  /** Reproductions the file does not accept: these decide the exit code. */
  fresh: CaseResult[];
  /** Of `fresh`: reproductions an entry names, measured beyond the value it accepts. */
  worse: { result: CaseResult; entry: KnownFailure; measure: ReproductionMeasure }[];
  /** Reproductions the file accepts, with why. `unmeasured`: the entry accepts a measure, the result has none. */
  accepted: { result: CaseResult; why: string; entry: KnownFailure; unmeasured?: true }[];
  /** Entries that matched results, none of which reproduced: the failure is gone from this run. */
  stale: KnownFailure[];
  /** Entries that matched no result at all (a release, scenario or case this run did not run). */
  unmatched: KnownFailure[];
}

export function splitKnown(results: CaseResult[], known: KnownFailure[]): KnownSplit {
  const split: KnownSplit = { fresh: [], worse: [], accepted: [], stale: [], unmatched: [] };
  for (const r of results.filter((x) => x.verdict === 'reproduced')) {
    const entry = knownEntryFor(r, known);
    if (entry) {
      // An entry's measure against a result without one (a judge that does not measure yet): accepted,
      // since the file names the failure, but said, since the number could not be checked.
      const unmeasured = entry.measure !== undefined && r.evidence.measure === undefined;
      split.accepted.push({ result: r, why: entry.why, entry, ...(unmeasured ? { unmeasured: true as const } : {}) });
      continue;
    }
    split.fresh.push(r);
    const named = known.find((k) => entryMatches(k, r));
    if (named && r.evidence.measure) split.worse.push({ result: r, entry: named, measure: r.evidence.measure });
  }
  for (const k of known) {
    const matching = results.filter((r) => entryMatches(k, r));
    if (matching.length === 0) split.unmatched.push(k);
    else if (matching.every((r) => r.verdict === 'fixed')) split.stale.push(k);
  }
  return split;
}

export function describeEntry(k: KnownFailure): string {
  return `${k.scenario}${k.case ? `/${k.case}` : ''}${k.client ? ` × ${k.client}` : ''}${k.measure !== undefined ? ` (measure ${k.measure})` : ''}`;
}

export function describeMeasure(m: ReproductionMeasure): string {
  return `${m.value} ${m.what}`;
}

/**
 * The lines `run --known` prints: each accepted reproduction, each entry that no longer reproduces or
 * matched nothing, and each new reproduction (with the measure and the accepted value when that is why).
 */
export function knownLines(split: KnownSplit, file: string): string[] {
  const lines: string[] = [];
  for (const { result: r, why, entry, unmeasured } of split.accepted) {
    lines.push(`known: ${r.scenario}/${r.case} × ${r.client} reproduced (accepted: ${why})`);
    if (unmeasured) lines.push(`known: ${r.scenario}/${r.case} × ${r.client}: the entry accepts measure ${entry.measure}, the judge gave none; accepted without comparing`);
  }
  for (const k of split.stale) lines.push(`known failure no longer reproduces, remove it from ${file}: ${describeEntry(k)}`);
  for (const k of split.unmatched) lines.push(`known entry matched no result in this run: ${describeEntry(k)}`);
  for (const r of split.fresh) {
    const worse = split.worse.find((w) => w.result === r);
    lines.push(
      worse
        ? `NEW: ${r.scenario}/${r.case} × ${r.client} reproduced beyond the accepted measure: ${describeMeasure(worse.measure)}, accepted ${worse.entry.measure} (tolerance ${worse.measure.tolerance}): ${r.evidence.reason}`
        : `NEW: ${r.scenario}/${r.case} × ${r.client} reproduced: ${r.evidence.reason}`,
    );
  }
  return lines;
}

/** What the reports say about --known: per result, known (with why) or new; and the file's leftovers. */
export interface KnownMarks {
  file: string;
  accepted: { scenario: string; case: string; client: string; why: string }[];
  fresh: { scenario: string; case: string; client: string; note?: string }[];
  stale: string[];
  unmatched: string[];
}

export function knownMarks(split: KnownSplit, file: string): KnownMarks {
  const id = (r: CaseResult) => ({ scenario: r.scenario, case: r.case, client: r.client });
  return {
    file,
    accepted: split.accepted.map((a) => ({ ...id(a.result), why: a.why })),
    fresh: split.fresh.map((r) => {
      const worse = split.worse.find((w) => w.result === r);
      return { ...id(r), ...(worse ? { note: `${describeMeasure(worse.measure)}, accepted ${worse.entry.measure} (tolerance ${worse.measure.tolerance})` } : {}) };
    }),
    stale: split.stale.map(describeEntry),
    unmatched: split.unmatched.map(describeEntry),
  };
}

/** The mark of one result: known (why), new, or none (not reproduced, or no --known). */
export function markOf(marks: KnownMarks | undefined, r: CaseResult): { known: true; why: string } | { known: false; note?: string } | null {
  if (!marks || r.verdict !== 'reproduced') return null;
  const same = (m: { scenario: string; case: string; client: string }) => m.scenario === r.scenario && m.case === r.case && m.client === r.client;
  const accepted = marks.accepted.find(same);
  if (accepted) return { known: true, why: accepted.why };
  const fresh = marks.fresh.find(same);
  return { known: false, ...(fresh?.note ? { note: fresh.note } : {}) };
}
