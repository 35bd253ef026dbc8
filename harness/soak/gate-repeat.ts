// The gate's short leak repetition: a client that leaks a little on every call (a socket only the garbage
// collector closes, a descriptor, live objects) passes every case once, and only a repetition shows it. So
// `regress run` also runs, beside the ordinary cases, a short soak (harness/python/soak_driver.py: one client
// process repeating the case's call path) of the cases whose repetition fits inside the gate's floor, and
// judges it as `regress soak` does (trend.ts). Its result is a row of its own, `<case>@repeat`, whose
// contract is "repeating the case grows nothing": `reproduced` on a leak, or when the case holds on its
// first iteration and fails on a later one; the case's own failure is its own row's (the repetition adds
// nothing to a case that fails the first time).
//
// The repetition is an ordinary job: a case whose client program is the soak driver and whose judge reads
// the driver's samples, so the runner, the report, the known-failures file and Ctrl-C treat it as any case.
import { family } from '../families.ts';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Job } from '../runner.ts';
import type { CaseDefinition, JudgeInput, Judgement, Scenario } from '../types.ts';
import { judgeRecords, SOAK_DRIVER, soakVerdict } from './soak-verdict.ts';
import { parseSamples } from './samples.ts';
import { describeTrend, MIN_ITERATIONS } from './trend.ts';

export const REPEAT_SUFFIX = '@repeat';

/** Iterations of a repetition: the fewest that tell a trend from the warm-up (trend.ts). */
export const REPEAT_ITERATIONS = MIN_ITERATIONS;

/**
 * What one iteration costs beyond the case's unavoidable wait (a client, its connections and TLS handshakes,
 * the driver's gc.collect and object census): ~0.2-0.3 s measured on the loaded 2-core machine.
 */
const ITERATION_OVERHEAD_MS = 250;

/**
 * A repetition is planned only when it fits well inside the gate's floor (keepalive-expiry's 6 s idle gap),
 * so the gate's wall time stays where its longest case puts it: 8 iterations of a case with no unavoidable
 * wait take ~2 s. A case with long waits (pool-exhaustion-after-close/reenter waits 1.25 s per iteration)
 * is left to `regress soak`.
 */
export const REPEAT_BUDGET_MS = 3000;

/** Is this the repetition's case name? */
export function isRepeat(caseName: string): boolean {
  return caseName.endsWith(REPEAT_SUFFIX);
}

/**
 * The case of a scenario the gate repeats, if any: every case opens and closes clients and connections, so
 * any can show a leak; the cases of one scenario share its client program (one call path), so one per
 * scenario, the first whose repetition fits the budget.
 */
export function repeatedCase(scenario: Scenario): CaseDefinition | null {
  return scenario.cases.find((c) => REPEAT_ITERATIONS * (c.unavoidableWaitMs + ITERATION_OVERHEAD_MS) <= REPEAT_BUDGET_MS) ?? null;
}

/** One line for `list` and `--help`: what the repetition of a case checks. */
export function repeatSummary(): string {
  return `the case repeated ${REPEAT_ITERATIONS}x in one client process: reproduced when descriptors, sockets left to the garbage collector, pooled connections or live client objects grow, or a later iteration fails`;
}

const cache = new WeakMap<Scenario, Scenario | null>();

/** The scenario as the repetition runs it: the soak driver as its client program, the repetition as its case. */
function repeatScenario(scenario: Scenario): Scenario | null {
  if (cache.has(scenario)) return cache.get(scenario)!;
  const c = repeatedCase(scenario);
  // The driver runs for every family the scenario covers, and loads that family's own program.
  const programs = Object.fromEntries(Object.entries(scenario.programs).filter(([, file]) => file.endsWith('.py')).map(([p]) => [p, SOAK_DRIVER]));
  const made = c ? { ...scenario, programs, cases: [repeatCaseOf(scenario, c)] } : null;
  cache.set(scenario, made);
  return made;
}

/**
 * The ordinary jobs plus a repetition for each (scenario, client) pair that has a repeatable case among the
 * jobs (so `--case` and `--scenario` select repetitions too), sorted as planJobs sorts.
 */
export function withRepeats(jobs: Job[]): Job[] {
  const repeats = new Map<string, Job>();
  for (const job of jobs) {
    // The repetition's driver is the Python soak driver: npm clients (one Node process per case) have none yet.
    if (job.client.family && family(job.client.family).runtime !== 'python') continue;
    const scenario = repeatScenario(job.scenario);
    if (!scenario || repeatedCase(job.scenario)!.name !== job.case.name) continue;
    const key = `${job.scenario.meta.id}\u0000${job.client.key ?? job.client.label}`;
    if (!repeats.has(key)) repeats.set(key, { scenario, case: scenario.cases[0]!, client: job.client });
  }
  return [...jobs, ...repeats.values()].sort((a, b) => b.case.unavoidableWaitMs - a.case.unavoidableWaitMs);
}

function repeatCaseOf(scenario: Scenario, c: CaseDefinition): CaseDefinition {
  return {
    name: `${c.name}${REPEAT_SUFFIX}`,
    summary: repeatSummary(),
    // Each iteration gets the case's own limit, as `regress soak` gives it: a tighter bound (the case's limit
    // plus 1 s per iteration) killed clean repetitions as hung on a machine loaded enough to make one TLS
    // request take 3 s. A real hang also shows, sooner, as the case's own row.
    timeLimitMs: c.timeLimitMs * REPEAT_ITERATIONS + 30_000,
    // Sorted by its whole expected time, so it starts in the first wave beside the long waits.
    unavoidableWaitMs: REPEAT_ITERATIONS * (c.unavoidableWaitMs + ITERATION_OVERHEAD_MS),
    async setup(ctx) {
      const dir = await mkdtemp(join(tmpdir(), 'regress-repeat-'));
      let fixture;
      try {
        fixture = await c.setup(ctx);
      } catch (error) {
        await rm(dir, { recursive: true, force: true });
        throw error;
      }
      const inner = fixture;
      return {
        ...inner,
        // The case's own name: its client program dispatches on it.
        input: {
          ...inner.input,
          case: c.name,
          soak: { programs: scenario.programs, iterations: REPEAT_ITERATIONS, durationS: null, samplesFile: join(dir, 'samples.jsonl') },
        },
        async close() {
          try {
            await inner.close();
          } finally {
            await rm(dir, { recursive: true, force: true });
          }
        },
      };
    },
    judge: (input) => judgeRepeat(c, input),
  };
}

/** The repetition's verdict from the driver's samples and the server's observations of the whole run. */
export function judgeRepeat(c: CaseDefinition, input: JudgeInput): Judgement {
  const soak = input.input.soak as { samplesFile: string };
  let text: string;
  try {
    text = readFileSync(soak.samplesFile, 'utf8');
  } catch (error) {
    return { verdict: 'error', reason: `the repetition left no samples: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` };
  }
  const { iterations: records } = parseSamples(text);
  const judged = judgeRecords(c, records, input.server, input.marks, input.installed, input.input);
  const soakJudged = soakVerdict({ points: judged.points, records, iterationVerdicts: judged.iterationVerdicts, firstOf: judged.firstOf });
  const n = records.length;
  const details = {
    repeat: {
      iterations: n,
      warmup: soakJudged.warmup,
      perIteration: judged.iterationVerdicts,
      trends: soakJudged.trends.filter((t) => t.judged).map((t) => ({ metric: t.metric, slope: +t.slope.toFixed(3), warmupLevel: t.warmupLevel, finalLevel: t.finalLevel })),
      series: judged.points.map((p) => ({ iteration: p.iteration, verdict: p.verdict, fds: p.fds, tcp: p.tcp, unclosed: p.unclosed, serverOpen: p.serverOpen, objects: p.objects })),
    },
  };
  if (soakJudged.verdict === 'leak') {
    const growing = soakJudged.trends.filter((t) => t.grows);
    const steepest = growing.reduce((a, b) => (b.slope > a.slope ? b : a));
    return {
      verdict: 'reproduced',
      reason: `leaks when repeated: over ${n} iterations of ${c.name} in one client process, ${growing.map(describeTrend).join('; ')}`,
      measure: { what: `${steepest.metric} gained per iteration`, value: +steepest.slope.toFixed(2), tolerance: 0.08 },
      details,
    };
  }
  if (soakJudged.verdict === 'not-applicable' || soakJudged.verdict === 'error') return { verdict: soakJudged.verdict, reason: soakJudged.reason, details };
  // Nothing grows. A failure on the first iteration is the case's own, reported by the case's own row; one
  // that appears only after the first iteration is what the repetition is for.
  const first = records[0] ? judged.points[0]!.verdict : null;
  const later = judged.points.find((p) => p.iteration > 1 && p.verdict === 'reproduced');
  if (first !== 'reproduced' && later) {
    return {
      verdict: 'reproduced',
      reason: `holds once but fails when repeated: iteration 1 ${first ?? 'gave nothing'}, iteration ${later.iteration} of ${n} reproduced: ${judged.firstOf.reproduced!.reason}`,
      details,
    };
  }
  const flat = soakJudged.trends.filter((t) => t.judged).map(describeTrend).join('; ');
  const own = first === 'reproduced' ? `; the case fails from its first iteration, which its own row reports` : '';
  return { verdict: 'fixed', reason: `nothing grows over ${n} iterations of ${c.name} in one client process (${soakJudged.warmup}-iteration warm-up): ${flat}${own}`, details };
}
