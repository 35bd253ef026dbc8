// One soak: a case's call path repeated inside one client process (harness/python/soak_driver.py) against
// one case fixture that stays up for the whole soak, sampled after every iteration, then judged: `leak`
// when descriptors, sockets, pooled connections or objects grow with the iterations, `fixed` when they stay
// flat after the warm-up, `error` when the soak itself says nothing about the client.
//
// One fixture for every iteration, for every case: the server's open connections are only comparable
// across iterations on one server and one clock, and every case's servers serve repeated requests (paths
// carry no state a second iteration trips over; the tracker keeps every connection). A case whose server
// could not be reused would need a fresh fixture per iteration; none does today.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCertificateSet, type CertificateSet } from '../../certs/certificate-set.ts';
import type { ServerObservations } from '../../fixtures/connection-tracker.ts';
import { unsupportedReason } from '../clients.ts';
import type { PreparedClient } from '../runtime/target.ts';
import type { CaseDefinition, ClientProcessOutcome, InstalledClient, Judgement, Scenario, Verdict } from '../types.ts';
import { marksOf, openConnectionsAt, sliceObservations, windowOf } from './iteration-view.ts';
import { type IterationRecord, type MetricName, parseSamples, type ProcessSample, type Series } from './samples.ts';
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

export interface SoakOptions {
  scenario: Scenario;
  case: CaseDefinition;
  client: PreparedClient;
  iterations?: number;
  durationS?: number;
  signal?: AbortSignal;
  /** Called about every 10 iterations (and at the end) with the iterations done so far. */
  onProgress?: (done: number, latest: SoakPoint) => void;
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

export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const started = performance.now();
  const { scenario, client } = options;
  const c = options.case;
  const planned = { ...(options.iterations ? { iterations: options.iterations } : {}), ...(options.durationS ? { durationS: options.durationS } : {}) };
  const base = { scenario: scenario.meta.id, case: c.name, client: client.label, installed: client.installed, planned };
  const empty = { iterations: 0, warmup: 0, trends: [], points: [], baseline: null, iterationVerdicts: {}, firstOf: {}, objectGrowth: [], interrupted: false };
  const bare = (verdict: SoakVerdict, reason: string): SoakResult => ({ ...base, ...empty, verdict, reason, durationMs: Math.round(performance.now() - started) });
  if (client.installed.importError) return bare('error', `the client under test fails to import: ${client.installed.importError}`);
  const version = client.installed.packages[client.module];
  if (!version) return bare('error', `${client.module} is not installed in this environment`);
  const unsupported = unsupportedReason(client.module, version);
  if (unsupported) return bare('not-applicable', unsupported);

  let certs: Promise<CertificateSet> | undefined;
  const tmp = await mkdtemp(join(tmpdir(), 'regress-soak-'));
  const samplesFile = join(tmp, 'samples.jsonl');
  let fixture;
  try {
    try {
      fixture = await c.setup({ certs: () => (certs ??= createCertificateSet()) });
    } catch (error) {
      return bare('error', `fixture setup failed: ${(error as Error).message}`);
    }
    if (options.signal?.aborted) return { ...bare('error', 'interrupted before the soak started'), interrupted: true };
    const input = {
      case: c.name,
      clientModule: client.module,
      ...fixture.input,
      soak: { clientProgram: scenario.clientProgram, iterations: options.iterations ?? null, durationS: options.durationS ?? null, samplesFile },
    };
    // A hang anywhere is still bounded: each iteration gets the case's own limit, plus the process start.
    const timeLimitMs = options.iterations
      ? c.timeLimitMs * options.iterations + 30_000
      : options.durationS! * 1000 + c.timeLimitMs + 30_000;
    let reported = 0;
    const poll = setInterval(() => {
      void readFile(samplesFile, 'utf8').then(
        (text) => {
          const { iterations } = parseSamples(text);
          const done = iterations.length;
          if (done >= reported + 10) {
            reported = done - (done % 10);
            options.onProgress?.(done, pointOf(iterations.at(-1)!, null, null, iterations.reduce((a, r) => a + (r.sample.leftToCollector ?? 0), 0)));
          }
        },
        () => undefined,
      );
    }, 1000);
    let outcome: ClientProcessOutcome;
    try {
      outcome = await client.run({ program: SOAK_DRIVER, input, timeLimitMs, now: fixture.now, onStart: (owner) => fixture!.admit(owner) });
    } catch (error) {
      // Ctrl-C stops the client by killing its worker, which rejects the run: the samples written so far
      // are still the soak's result. Any other failure to run says nothing about the client.
      if (!options.signal?.aborted) return bare('error', `running the client failed: ${(error as Error).message}`);
      outcome = { exitCode: null, signal: 'SIGKILL', timedOut: false, durationMs: 0, exitedAt: fixture.now(), stderrTail: '' };
    } finally {
      clearInterval(poll);
    }
    const interrupted = Boolean(options.signal?.aborted);
    await fixture.settled();
    const server = fixture.observe();
    const marks = fixture.marks();
    const { baseline, iterations: records } = parseSamples(await readFile(samplesFile, 'utf8').catch(() => ''));

    if (outcome.report?.status === 'crashed' && outcome.report.phase === 'import') {
      return bare('error', `the client under test fails to import: ${outcome.report.reason}`);
    }
    if (!interrupted && records.length === 0) {
      const why = outcome.timedOut
        ? `killed after the ${timeLimitMs / 1000} s time limit before the first iteration finished`
        : outcome.report?.reason ?? outcome.outputProblem ?? `exit code ${outcome.exitCode}`;
      const stderr = outcome.stderrTail.trim().split('\n').at(-1);
      return bare('error', `the soak driver produced no sample: ${why}${stderr ? `; stderr: ${stderr}` : ''}`);
    }

    const iterationVerdicts: Partial<Record<Verdict, number>> = {};
    const firstOf: SoakResult['firstOf'] = {};
    let unclosed = 0;
    const points = records.map((record) => {
      unclosed += record.sample.leftToCollector ?? 0;
      const judgement = judgeIteration(c, record, server, marks, client, input);
      iterationVerdicts[judgement.verdict] = (iterationVerdicts[judgement.verdict] ?? 0) + 1;
      firstOf[judgement.verdict] ??= { iteration: record.iteration, reason: judgement.reason };
      const end = windowOf(marks, record.iteration)?.end ?? null;
      return pointOf(record, judgement.verdict, end === null ? null : openConnectionsAt(server, end), unclosed);
    });
    const judged = soakVerdict({ points, records, iterationVerdicts, firstOf });
    let { verdict, reason } = judged;
    if (outcome.timedOut && verdict !== 'leak') {
      verdict = 'error';
      reason = `the client was killed after the ${timeLimitMs / 1000} s time limit, after ${records.length} iteration(s)`;
    } else if (interrupted && verdict !== 'leak') {
      reason = `interrupted after ${records.length} iteration(s): ${reason}`;
    }
    if (verdict === 'error' && outcome.stderrTail.trim()) reason += `; stderr: ${outcome.stderrTail.trim().split('\n').at(-1)}`;
    if (records.length) options.onProgress?.(records.length, points.at(-1)!);
    return {
      ...base,
      verdict,
      reason,
      iterations: records.length,
      warmup: judged.warmup,
      trends: judged.trends,
      points,
      baseline,
      iterationVerdicts,
      firstOf,
      objectGrowth: objectGrowth(records, judged.warmup),
      durationMs: Math.round(performance.now() - started),
      interrupted,
    };
  } finally {
    await fixture?.close().catch(() => undefined);
    await certs?.then((set) => set.dispose(), () => undefined);
    await rm(tmp, { recursive: true, force: true });
  }
}

function pointOf(record: IterationRecord, verdict: Verdict | null, serverOpen: number | null, unclosed: number): SoakPoint {
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
  client: PreparedClient,
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
      installed: client.installed,
      clientExitedAt: window.end,
      marks: marksOf(marks, record.iteration),
      input,
    });
  } catch (error) {
    return { verdict: 'error', reason: `judge failed: ${(error as Error).message}` };
  }
}

function objectGrowth(records: IterationRecord[], warmup: number): SoakResult['objectGrowth'] {
  const from = records[Math.min(warmup, records.length) - 1]?.sample.objects;
  const to = records.at(-1)?.sample.objects;
  if (!from || !to) return [];
  return Object.keys({ ...from, ...to })
    .map((type) => ({ type, from: from[type] ?? 0, to: to[type] ?? 0 }))
    .filter((g) => g.to !== g.from)
    .sort((a, b) => Math.abs(b.to - b.from) - Math.abs(a.to - a.from))
    .slice(0, 12);
}
