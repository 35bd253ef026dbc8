// Release bisection with a tri-state outcome, as `git bisect` does for commits: a release is
// reproduced (old), fixed (new), or skipped (cannot be installed, imported or run: error/not-applicable).
//
// 1. Endpoints. Oldest reproduces, newest fixed: search for the first fixed release. Oldest fixed, newest
//    reproduces: a regression, search for the release that introduced it. Both fixed: the failure may have
//    lived in a window between them (httpx 0.28.0 alone, say), so the validation sample looks for it.
// 2. Binary search between them (about log2(N) probes), stepping around skipped releases.
// 3. Validation: probe the neighbours of the boundary and a sample (the first and newest release of every
//    minor series), in parallel. Any flip in that history is then narrowed to adjacent releases, so a non-monotonic
//    history (fixed, broken again, fixed) is reported with exact ranges, and the first fixed release
//    reported is the one after which every probed release stays fixed.
import pLimit from 'p-limit';
import type { Verdict } from './types.ts';

export type Outcome = 'reproduced' | 'fixed' | 'skip';

export interface Probe {
  version: string;
  outcome: Outcome;
  verdict: Verdict;
  reason: string;
  phase: 'endpoint' | 'search' | 'validate' | 'refine';
}

export interface BisectReport {
  candidates: string[];
  /** The release after which every probed release is fixed; undefined when none could be found. */
  firstFixed?: string;
  lastBroken?: string;
  /** A regression: the first release of the last reproduced run that follows a fixed one. */
  introducedIn?: string;
  /** The fixed release just before introducedIn. */
  lastGood?: string;
  /** Probes spent on endpoints and the binary search, against the ⌈log2 N⌉ + 2 budget. */
  searchProbes: number;
  budget: number;
  probes: Probe[];
  /** Ranges (in probed releases) that disagree with a single broken → fixed history. */
  anomalies: { from: string; to: string; outcome: Outcome; note: string }[];
  monotonic: boolean;
  problem?: string;
}

export type ProbeFn = (version: string) => Promise<{ verdict: Verdict; reason: string }>;

export function outcomeForVerdict(verdict: Verdict): Outcome {
  return verdict === 'reproduced' ? 'reproduced' : verdict === 'fixed' ? 'fixed' : 'skip';
}

export async function bisectReleases(
  candidates: string[],
  probe: ProbeFn,
  options: { sample?: (candidates: string[]) => string[]; parallel?: number; onProbe?: (p: Probe) => void } = {},
): Promise<BisectReport> {
  const known = new Map<number, Probe>();
  const probes: Probe[] = [];
  const run = async (index: number, phase: Probe['phase']): Promise<Outcome> => {
    const seen = known.get(index);
    if (seen) return seen.outcome;
    const version = candidates[index]!;
    const { verdict, reason } = await probe(version);
    const p: Probe = { version, outcome: outcomeForVerdict(verdict), verdict, reason, phase };
    known.set(index, p);
    probes.push(p);
    options.onProbe?.(p);
    return p.outcome;
  };
  const budget = Math.ceil(Math.log2(Math.max(candidates.length, 2))) + 2;
  const report = (extra: Partial<BisectReport>): BisectReport => ({
    candidates,
    searchProbes: probes.length,
    budget,
    probes,
    anomalies: [],
    monotonic: true,
    ...extra,
  });
  if (candidates.length < 2) return report({ problem: 'fewer than two releases in range' });

  // 1. Endpoints, skipping inward past releases that cannot be tested.
  let lo = 0;
  while (lo < candidates.length && (await run(lo, 'endpoint')) === 'skip') lo++;
  if (lo === candidates.length) return report({ problem: 'no release in range could be tested' });
  let hi = candidates.length - 1;
  while (hi > lo && (await run(hi, 'endpoint')) === 'skip') hi--;
  if (hi === lo) return report({ problem: `${candidates[lo]} is the only release in range that could be tested` });
  const oldest = known.get(lo)!.outcome;
  const newest = known.get(hi)!.outcome;
  if (oldest === 'reproduced' && newest === 'reproduced') {
    return report({ problem: `the newest testable release in range, ${candidates[hi]}, still reproduces` });
  }

  // 2. Binary search between two releases that differ; a skipped midpoint is stepped around, nearest first.
  // With both ends fixed there is nothing to split: the validation sample below looks for a window.
  if (oldest !== newest) {
    while (true) {
      const open = range(lo + 1, hi).filter((i) => known.get(i)?.outcome !== 'skip');
      if (open.length === 0) break;
      const middle = open[Math.floor((open.length - 1) / 2)]!;
      const outcome = await run(middle, 'search');
      if (outcome === oldest) lo = middle;
      else if (outcome === newest) hi = middle;
    }
  }
  const searchProbes = probes.length;

  // 3. Validate: neighbours of the boundary and the caller's sample, in parallel.
  const sampled = new Set([lo - 1, hi + 1].filter((i) => i >= 0 && i < candidates.length));
  for (const version of options.sample?.(candidates) ?? []) sampled.add(candidates.indexOf(version));
  const limit = pLimit(options.parallel ?? 4);
  await Promise.all([...sampled].filter((i) => i >= 0 && !known.has(i)).map((i) => limit(() => run(i, 'validate'))));

  // Narrow every flip between probed releases down to adjacent testable releases.
  while (true) {
    const flip = flips(known).find(([a, b]) => range(a + 1, b).some((i) => !known.has(i)));
    if (!flip) break;
    const [a, b] = flip;
    const open = range(a + 1, b).filter((i) => !known.has(i));
    await run(open[Math.floor((open.length - 1) / 2)]!, 'refine');
  }

  const ordered = [...known].filter(([, p]) => p.outcome !== 'skip').sort(([a], [b]) => a - b);
  if (!ordered.some(([, p]) => p.outcome === 'reproduced')) {
    return report({
      searchProbes,
      problem:
        `the oldest testable release in range, ${candidates[lo]}, is already fixed, and so is every other probed release ` +
        `(${ordered.length}): the failure was not seen in this range; pass a --from where it reproduces`,
    });
  }
  const lastReproduced = ordered.filter(([, p]) => p.outcome === 'reproduced').at(-1);
  const firstFixedAfter = ordered.find(([i, p]) => p.outcome === 'fixed' && (!lastReproduced || i > lastReproduced[0]));
  const anomalies: BisectReport['anomalies'] = [];
  // Runs of probed releases; every run except the first (reproduced) and last (fixed) is an anomaly.
  const runs: { from: string; to: string; outcome: Outcome }[] = [];
  for (const [, p] of ordered) {
    const last = runs.at(-1);
    if (last && last.outcome === p.outcome) last.to = p.version;
    else runs.push({ from: p.version, to: p.version, outcome: p.outcome });
  }
  // A clean regression (fixed, then reproduced for good) is monotonic in its own direction.
  const cleanRegression = runs.length === 2 && runs[0]!.outcome === 'fixed';
  runs.forEach((r, i) => {
    if (cleanRegression) return;
    if (i === 0 && r.outcome === 'reproduced') return;
    if (i === runs.length - 1 && r.outcome === 'fixed') return;
    anomalies.push({
      ...r,
      note:
        r.outcome === 'fixed'
          ? `fixed in ${span(r)}, then reproduced again from ${runs[i + 1]?.from}`
          : i > 0 && runs[i + 1]
            ? `reproduced in ${span(r)} only: fixed before (${runs[i - 1]!.to}) and after (${runs[i + 1]!.from})`
            : `reproduced again in ${span(r)}`,
    });
  });
  // A history that ends reproduced after a fixed run: the release that introduced the failure.
  const lastRun = runs.at(-1);
  const beforeLast = runs.at(-2);
  const regression = lastRun?.outcome === 'reproduced' && beforeLast ? { introducedIn: lastRun.from, lastGood: beforeLast.to } : {};
  return {
    ...report({}),
    searchProbes,
    ...regression,
    ...(firstFixedAfter ? { firstFixed: firstFixedAfter[1].version } : {}),
    ...(lastReproduced ? { lastBroken: lastReproduced[1].version } : {}),
    anomalies,
    monotonic: anomalies.length === 0,
  };
}

function span(r: { from: string; to: string }): string {
  return r.from === r.to ? r.from : `${r.from}–${r.to}`;
}

/** Adjacent probed, testable releases whose outcomes differ, as index pairs. */
function flips(known: Map<number, Probe>): [number, number][] {
  const ordered = [...known].filter(([, p]) => p.outcome !== 'skip').sort(([a], [b]) => a - b);
  const pairs: [number, number][] = [];
  for (let i = 1; i < ordered.length; i++) {
    if (ordered[i - 1]![1].outcome !== ordered[i]![1].outcome) pairs.push([ordered[i - 1]![0], ordered[i]![0]]);
  }
  return pairs;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
}
