// A base → head verdict diff: the same scenarios run against two client inputs (the target branch's lock
// and the pull request's, say), cell by cell. What a dependency bump changes is what a reviewer needs:
// failures it brings back, failures it makes worse, failures it fixes, and what it leaves reproduced.
import type { CaseResult, ReproductionMeasure, Verdict } from './types.ts';

export type ChangeKind =
  /** fixed → reproduced: the bump brings back a documented failure. */
  | 'brought-back'
  /** not-applicable or error → reproduced: a reproduction the base did not show. */
  | 'newly-reproduced'
  /**
   * reproduced on both sides, and the head's measure beyond the base's by more than the scenario's
   * tolerance: the same failure, much worse (thirty stale requests where there were eight).
   */
  | 'worse'
  /** reproduced → fixed. */
  | 'fixed-by-bump'
  /** reproduced on both sides: not this bump's doing, still worth seeing. */
  | 'still-reproduced'
  /** any other change of verdict (an error, a case the release's API cannot express). */
  | 'changed'
  | 'unchanged';

/** In the order a reviewer must read them. */
export const CHANGE_ORDER: ChangeKind[] = ['brought-back', 'newly-reproduced', 'worse', 'changed', 'fixed-by-bump', 'still-reproduced', 'unchanged'];

export const CHANGE_TITLE: Record<ChangeKind, string> = {
  'brought-back': 'brought back',
  'newly-reproduced': 'newly reproduced',
  worse: 'worse',
  'fixed-by-bump': 'fixed by the bump',
  'still-reproduced': 'still reproduced',
  changed: 'changed',
  unchanged: 'unchanged',
};

export interface SideCell {
  client: string;
  verdict: Verdict | 'missing';
  reason: string;
  /** The judge's measure of a reproduction on this side, when it gave one. */
  measure?: ReproductionMeasure;
}

export interface DiffCell {
  scenario: string;
  case: string;
  /** The client module, when a side's lock names several clients and cells pair by module. */
  module?: string;
  kind: ChangeKind;
  base: SideCell;
  head: SideCell;
}

export interface VersionChange {
  package: string;
  base: string | null;
  head: string | null;
}

export interface VerdictDiff {
  cells: DiffCell[];
  versions: VersionChange[];
}

/**
 * What a cell's move is called. A cell reproduced on both sides is `worse` when both judges measured the
 * same thing and the head's value exceeds the base's by more than the tolerance the scenario states; a
 * side without a measure (a project's own judge may give none) cannot be compared and stays
 * `still-reproduced`.
 */
export function changeKind(base: Verdict | 'missing', head: Verdict | 'missing', measures: { base?: ReproductionMeasure; head?: ReproductionMeasure } = {}): ChangeKind {
  if (base === head) {
    if (base !== 'reproduced') return 'unchanged';
    return measureWorse(measures.base, measures.head) ? 'worse' : 'still-reproduced';
  }
  if (head === 'reproduced') return base === 'fixed' ? 'brought-back' : 'newly-reproduced';
  if (base === 'reproduced' && head === 'fixed') return 'fixed-by-bump';
  return 'changed';
}

/**
 * Whether the head's measure is beyond the base's by more than the tolerance. The larger of the two sides'
 * tolerances is used (they are the same scenario's, so normally equal): a judge that widened its tolerance
 * must not make the other side's clean spread look worse.
 */
export function measureWorse(base: ReproductionMeasure | undefined, head: ReproductionMeasure | undefined): boolean {
  if (!base || !head || base.what !== head.what) return false;
  return head.value > base.value + Math.max(base.tolerance, head.tolerance);
}

/** Whether a diff fails the gate: the bump brought back, newly shows, or worsens a reproduction. */
export function regressed(diff: VerdictDiff): boolean {
  return diff.cells.some((c) => c.kind === 'brought-back' || c.kind === 'newly-reproduced' || c.kind === 'worse');
}

/** Whether a cell says nothing about the client on a side (error, or no result at all). */
export function inconclusive(diff: VerdictDiff): boolean {
  return diff.cells.some((c) => [c.base.verdict, c.head.verdict].some((v) => v === 'error' || v === 'missing'));
}

/**
 * Pair the two sides' results by scenario/case; when a side holds several clients (a lock that pins httpx
 * and httpx2), by scenario/case and client module.
 */
export function diffResults(base: CaseResult[], head: CaseResult[]): VerdictDiff {
  const byModule = new Set(base.map(moduleOf)).size > 1 || new Set(head.map(moduleOf)).size > 1;
  const key = (r: CaseResult): string => `${r.scenario}\u0000${r.case}${byModule ? `\u0000${moduleOf(r)}` : ''}`;
  const baseCells = new Map(base.map((r) => [key(r), r]));
  const headCells = new Map(head.map((r) => [key(r), r]));
  const keys = [...new Set([...baseCells.keys(), ...headCells.keys()])].sort();
  const cells = keys.map((k): DiffCell => {
    const [scenario, caseName, module] = k.split('\u0000') as [string, string, string | undefined];
    const b = side(baseCells.get(k));
    const h = side(headCells.get(k));
    return { scenario, case: caseName, ...(module ? { module } : {}), kind: changeKind(b.verdict, h.verdict, { base: b.measure, head: h.measure }), base: b, head: h };
  });
  return { cells, versions: versionChanges(base, head) };
}

function moduleOf(r: CaseResult): string {
  return r.installed?.module ?? 'unknown';
}

function side(r: CaseResult | undefined): SideCell {
  if (!r) return { client: '', verdict: 'missing', reason: 'no result on this side' };
  const measure = r.verdict === 'reproduced' ? r.evidence.measure : undefined;
  return { client: r.client, verdict: r.verdict, reason: r.evidence.reason, ...(measure ? { measure } : {}) };
}

/** The installed versions as read from the environments themselves, and the Python they ran on. */
function versionsOf(results: CaseResult[]): Map<string, string> {
  const versions = new Map<string, string>();
  for (const r of results) {
    if (!r.installed) continue;
    if (r.installed.python) versions.set('python', r.installed.python);
    if (r.installed.node) versions.set('node', r.installed.node);
    const pinned = { ...(r.installed.lock?.closure ?? {}), ...r.installed.packages };
    for (const [name, version] of Object.entries(pinned)) if (version) versions.set(name, version);
  }
  return versions;
}

export function versionChanges(base: CaseResult[], head: CaseResult[]): VersionChange[] {
  const b = versionsOf(base);
  const h = versionsOf(head);
  return [...new Set([...b.keys(), ...h.keys()])]
    .sort()
    .filter((name) => b.get(name) !== h.get(name))
    .map((name) => ({ package: name, base: b.get(name) ?? null, head: h.get(name) ?? null }));
}
