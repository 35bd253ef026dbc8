// A soak's verdict from the driver's samples and the server's observations: every iteration judged by the
// case's own judge, then the series judged for growth (trend.ts). Kept apart from run-soak.ts (which starts
// fixtures and certificates) so the gate's repetition (gate-repeat.ts) loads only this.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServerObservations } from '../../fixtures/connection-tracker.ts';
import type { CaseDefinition, InstalledClient, Judgement, Verdict } from '../types.ts';
import { marksOf, openConnectionsAt, sliceObservations, windowOf } from './iteration-view.ts';
import type { IterationRecord, MetricName, ProcessSample, Series } from './samples.ts';
import { describeTrend, MIN_ITERATIONS, type Trend, trends, warmupFor } from './trend.ts';

export const SOAK_DRIVER = join(dirname(fileURLToPath(import.meta.url)), '..', 'python', 'soak_driver.py');

export type SoakVerdict = 'leak' | 'reproduced' | 'fixed' | 'not-applicable' | 'error';

/** One point of the chart and of results.json: the sample after an iteration and that iteration's verdict. */
export interface SoakPoint {
  iteration: number;
  /** Seconds since the soak started (client clock). */
  t: number;
  verdict: Verdict | null;
  fds: number;
  tcp: number;
  /** Cumulative sockets the client never closed, which the garbage collector closed (see ProcessSample). */
  unclosed: number;
  serverOpen: number | null;
  poolConnections: number | null;
  objects: number;
  rssKb: number | null;
}

export interface SoakResult {
  scenario: string;
  case: string;
  client: string;
  installed: InstalledClient | null;
  verdict: SoakVerdict;
  reason: string;
  /** What was asked: a number of iterations, or a duration in seconds. */
  planned: { iterations?: number; durationS?: number };
  iterations: number;
  warmup: number;
  trends: Trend[];
  points: SoakPoint[];
  /** The sample before the first iteration (imports done, nothing connected). */
  baseline: ProcessSample | null;

  /** How many iterations the case's own judge found fixed, reproduced, ...; and the first of each. */
  iterationVerdicts: Partial<Record<Verdict, number>>;
  firstOf: Partial<Record<Verdict, { iteration: number; reason: string }>>;
  /** Object types that grew most from the end of the warm-up to the end. */
  objectGrowth: { type: string; from: number; to: number }[];
  durationMs: number;
  interrupted: boolean;
}

/** Judge series and per-iteration outcomes into a verdict (exported for tests: no processes needed). */
export function soakVerdict(input: {
  points: SoakPoint[];
  records: IterationRecord[];
  iterationVerdicts: Partial<Record<Verdict, number>>;
  firstOf: SoakResult['firstOf'];
}): { verdict: SoakVerdict; reason: string; trends: Trend[]; warmup: number } {
  const { points, records } = input;
  const n = points.length;
  const warmup = warmupFor(n);
  const series: Series = {};
  const metrics: MetricName[] = ['fds', 'tcp', 'unclosed', 'serverOpen', 'poolConnections', 'objects', 'rssKb'];
  for (const m of metrics) {
    const values = points.map((p) => p[m]);
    if (values.some((v) => v !== null)) series[m] = values;
  }
  const found = n >= MIN_ITERATIONS ? trends(series, n) : [];
  const growing = found.filter((t) => t.grows);
  const crashed = records.find((r) => r.status === 'crashed');
  const perIteration = summariseVerdicts(input.iterationVerdicts, n);
  if (growing.length) {
    const note = crashed ? `; iteration ${crashed.iteration} then crashed (${crashed.reason})` : '';
    return {
      verdict: 'leak',
      reason: `grows with the iterations after a ${warmup}-iteration warm-up: ${growing.map(describeTrend).join('; ')}${note}; per iteration: ${perIteration}`,
      trends: found,
      warmup,
    };
  }
  if (records[0]?.status === 'not-applicable') return { verdict: 'not-applicable', reason: records[0].reason ?? 'not applicable', trends: found, warmup };
  if (crashed) return { verdict: 'error', reason: `iteration ${crashed.iteration} crashed: ${crashed.reason}`, trends: found, warmup };
  if (n < MIN_ITERATIONS) {
    return { verdict: 'error', reason: `only ${n} iteration(s) finished; at least ${MIN_ITERATIONS} are needed to tell a trend from the warm-up`, trends: found, warmup };
  }
  const flat = found.filter((t) => t.judged).map((t) => `${t.metric} ${t.slope >= 0 ? '+' : ''}${t.slope.toFixed(2)}/it (${t.warmupLevel} → ${t.finalLevel})`);
  // Nothing grows, but the case's own judge saw the failure: the soak must not read as a pass, and a
  // reproduction wins over an iteration the judge could not tell (as in every run).
  const failed = input.firstOf.reproduced;
  if (failed) {
    return {
      verdict: 'reproduced',
      reason: `no leak (flat after a ${warmup}-iteration warm-up: ${flat.join(', ')}), but the case reproduced from iteration ${failed.iteration}: ${failed.reason}; per iteration: ${perIteration}`,
      trends: found,
      warmup,
    };
  }
  const errored = input.firstOf.error;
  if (errored) {
    return { verdict: 'error', reason: `the case's judge gave error for iteration ${errored.iteration}: ${errored.reason}; per iteration: ${perIteration}`, trends: found, warmup };
  }
  return {
    verdict: 'fixed',
    reason: `flat after a ${warmup}-iteration warm-up over ${n} iterations: ${flat.join(', ')}; per iteration: ${perIteration}`,
    trends: found,
    warmup,
  };
}

function summariseVerdicts(counts: Partial<Record<Verdict, number>>, n: number): string {
  const parts = (Object.entries(counts) as [Verdict, number][]).filter(([, c]) => c > 0).map(([v, c]) => `${v} ${c}/${n}`);
  return parts.length ? parts.join(', ') : 'no verdicts';
}

/**
 * Every iteration judged by the case's own judge, and the points of the series: shared by `regress soak` and
 * the gate's short repetition (gate-repeat.ts), so both read the samples the same way.
 */
export function judgeRecords(
  c: CaseDefinition,
  records: IterationRecord[],
  server: Record<string, ServerObservations>,
  marks: Record<string, number>,
  installed: InstalledClient,
  input: Record<string, unknown>,
): { points: SoakPoint[]; iterationVerdicts: Partial<Record<Verdict, number>>; firstOf: SoakResult['firstOf'] } {
  const iterationVerdicts: Partial<Record<Verdict, number>> = {};
  const firstOf: SoakResult['firstOf'] = {};
  let unclosed = 0;
  const points = records.map((record) => {
    unclosed += record.sample.leftToCollector ?? 0;
    const judgement = judgeIteration(c, record, server, marks, installed, input);
    iterationVerdicts[judgement.verdict] = (iterationVerdicts[judgement.verdict] ?? 0) + 1;
    firstOf[judgement.verdict] ??= { iteration: record.iteration, reason: judgement.reason };
    const end = windowOf(marks, record.iteration)?.end ?? null;
    return pointOf(record, judgement.verdict, end === null ? null : openConnectionsAt(server, end), unclosed);
  });
  return { points, iterationVerdicts, firstOf };
}

export function pointOf(record: IterationRecord, verdict: Verdict | null, serverOpen: number | null, unclosed: number): SoakPoint {
  const s = record.sample;
  return {
    iteration: record.iteration,
    t: s.t,
    verdict,
    fds: s.fds,
    tcp: s.tcp,
    unclosed,
    serverOpen,
    poolConnections: s.pool.connections ?? null,
    objects: s.objectsTotal,
    rssKb: s.rssKb,
  };
}

/** The case's own judge on one iteration, seen as a run of its own (iteration-view.ts). */
function judgeIteration(
  c: CaseDefinition,
  record: IterationRecord,
  server: Record<string, ServerObservations>,
  marks: Record<string, number>,
  installed: InstalledClient,
  input: Record<string, unknown>,
): Judgement {
  if (record.status === 'not-applicable') return { verdict: 'not-applicable', reason: record.reason ?? 'not applicable' };
  if (record.status === 'crashed') return { verdict: 'error', reason: `client program crashed: ${record.reason}` };
  const window = windowOf(marks, record.iteration);
  if (!window) return { verdict: 'error', reason: `the server has no start/end mark for iteration ${record.iteration}` };
  const sliced = Object.fromEntries(Object.entries(server).map(([name, obs]) => [name, sliceObservations(obs, window)]));
  try {
    return c.judge({
      client: { status: 'ok', steps: record.steps, facts: record.facts },
      server: sliced,
      installed,
      clientExitedAt: window.end,
      marks: marksOf(marks, record.iteration),
      input,
    });
  } catch (error) {
    return { verdict: 'error', reason: `judge failed: ${(error as Error).message}` };
  }
}
