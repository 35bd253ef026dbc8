// Known failures: the open-upstream failures a team accepts in the release it ships today, recorded in a
// file so the gate still fails on anything new. A known reproduction stays `reproduced` in every result
// and report (nothing is hidden); it only stops deciding the exit code. A known entry that no longer
// reproduces is reported, so the file does not outlive the failure.
//
// File format (JSON):
//   { "known": [ { "scenario": "stream-double-cancel", "case": "double-cancel", "client": "httpx==0.28.1",
//                  "why": "encode/httpx#3782, open upstream" } ] }
// `case` and `client` are optional (any case / any client); `client` is matched against the result's
// client label as printed in the verdict table, or against the release really installed (`httpx==0.28.1`).
import { readFile } from 'node:fs/promises';
import type { CaseResult, Scenario } from './types.ts';

export class KnownFileError extends Error {}

export interface KnownFailure {
  scenario: string;
  case?: string;
  client?: string;
  why: string;
}

export async function readKnownFailures(path: string, scenarios: Scenario[]): Promise<KnownFailure[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new KnownFileError(`cannot read known failures from ${path}: ${code ?? (error as Error).message}`);
  }
  const list = (parsed as { known?: unknown })?.known;
  if (!Array.isArray(list)) throw new KnownFileError(`${path}: expected {"known": [ ... ]}`);
  return list.map((entry, i) => {
    const where = `${path}: known[${i}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new KnownFileError(`${where} is not an object`);
    const e = entry as Partial<KnownFailure>;
    if (typeof e.scenario !== 'string' || typeof e.why !== 'string' || !e.why.trim()) {
      throw new KnownFileError(`${where} needs "scenario" and a non-empty "why"`);
    }
    for (const field of ['case', 'client'] as const) {
      if (e[field] !== undefined && typeof e[field] !== 'string') throw new KnownFileError(`${where}: "${field}" must be a string`);
    }
    const scenario = scenarios.find((s) => s.meta.id === e.scenario);
    if (!scenario) throw new KnownFileError(`${where} names unknown scenario '${e.scenario}'`);
    if (e.case !== undefined && !scenario.cases.some((c) => c.name === e.case)) {
      throw new KnownFileError(`${where} names unknown case '${e.case}' of ${e.scenario}`);
    }
    return { scenario: e.scenario, why: e.why, ...(e.case ? { case: e.case } : {}), ...(e.client ? { client: e.client } : {}) };
  });
}

/**
 * `client` matches the result's label, or the release that was really installed: `httpx==0.28.1` also
 * accepts a run of the unpinned `httpx` that resolved to 0.28.1 (and stops accepting it once a newer
 * release is out, which is when a team should look again).
 */
export function knownEntryFor(result: CaseResult, known: KnownFailure[]): KnownFailure | undefined {
  const module = result.installed?.module;
  const version = module ? result.installed?.packages[module] : undefined;
  const release = module && version ? `${module}==${version}` : undefined;
  return known.find(
    (k) =>
      k.scenario === result.scenario &&
      (k.case === undefined || k.case === result.case) &&
      (k.client === undefined || k.client === result.client || k.client === release),
  );
}

export interface KnownSplit {
  /** Reproductions the file does not name: these decide the exit code. */
  fresh: CaseResult[];
  /** Reproductions the file accepts, with why. */
  accepted: { result: CaseResult; why: string }[];
  /** Entries that matched results, none of which reproduced: the failure is gone from this run. */
  stale: KnownFailure[];
}

export function splitKnown(results: CaseResult[], known: KnownFailure[]): KnownSplit {
  const fresh: CaseResult[] = [];
  const accepted: KnownSplit['accepted'] = [];
  for (const r of results.filter((x) => x.verdict === 'reproduced')) {
    const entry = knownEntryFor(r, known);
    if (entry) accepted.push({ result: r, why: entry.why });
    else fresh.push(r);
  }
  const stale = known.filter((k) => {
    const matching = results.filter((r) => knownEntryFor(r, [k]));
    return matching.length > 0 && matching.every((r) => r.verdict === 'fixed');
  });
  return { fresh, accepted, stale };
}
