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
import { join } from 'node:path';
import { createCertificateSet, type CertificateSet } from '../../certs/certificate-set.ts';
import { family, unsupportedReason } from '../families.ts';
import { notCoveredReason, programFor } from '../scenario-families.ts';
import type { PreparedClient } from '../runtime/target.ts';
import type { CaseDefinition, ClientProcessOutcome, Scenario } from '../types.ts';
import { type IterationRecord, parseSamples } from './samples.ts';
import { judgeRecords, pointOf, type SoakPoint, type SoakResult, type SoakVerdict, SOAK_DRIVER, soakVerdict } from './soak-verdict.ts';

export { judgeRecords, SOAK_DRIVER, type SoakPoint, type SoakResult, type SoakVerdict, soakVerdict } from './soak-verdict.ts';

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

export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const started = performance.now();
  const { scenario, client } = options;
  const c = options.case;
  const planned = { ...(options.iterations ? { iterations: options.iterations } : {}), ...(options.durationS ? { durationS: options.durationS } : {}) };
  const base = { scenario: scenario.meta.id, case: c.name, client: client.label, installed: client.installed, planned };
  const empty = { iterations: 0, warmup: 0, trends: [], points: [], baseline: null, iterationVerdicts: {}, firstOf: {}, objectGrowth: [], interrupted: false };
  const bare = (verdict: SoakVerdict, reason: string): SoakResult => ({ ...base, ...empty, verdict, reason, durationMs: Math.round(performance.now() - started) });
  if (client.installed.importError) return bare('error', `the client under test fails to import: ${client.installed.importError}`);
  const clientFamily = family(client.family);
  if (!programFor(scenario, clientFamily)) {
    return bare('not-applicable', notCoveredReason(scenario.meta.id, clientFamily));
  }
  const version = client.installed.packages[clientFamily.distribution];
  if (!version) return bare('error', `${clientFamily.distribution} is not installed in this environment`);
  const unsupported = unsupportedReason(clientFamily, version);
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
      clientFamily: clientFamily.id,
      ...fixture.input,
      soak: { programs: scenario.programs, iterations: options.iterations ?? null, durationS: options.durationS ?? null, samplesFile },
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

    const { points, iterationVerdicts, firstOf } = judgeRecords(c, records, server, marks, client.installed, input);
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
