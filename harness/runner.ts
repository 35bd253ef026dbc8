// Runs (scenario × case × client) jobs: environments first (bounded, concurrent), then cases in
// parallel, each with its own servers on port 0. The verdict comes from the case's judge, which sees both
// the client's report and what the server observed; the runner only decides what the judge cannot
// (hangs, crashes, garbage output).
import { availableParallelism, totalmem } from 'node:os';
import pLimit from 'p-limit';
import { phase } from './runtime/phase-log.ts';
import type { CertificateSet } from '../certs/certificate-set.ts';
import { type ServerObservations, unreliableReason } from '../fixtures/connection-tracker.ts';
import { family, unsupportedReason } from './families.ts';
import { notCoveredReason, programFor } from './scenario-families.ts';
import type { ClientTarget, PreparedClient } from './runtime/target.ts';
import type {
  CaseDefinition,
  CaseResult,
  ClientProcessOutcome,
  Evidence,
  Judgement,
  Scenario,
} from './types.ts';

export interface Job {
  scenario: Scenario;
  case: CaseDefinition;
  client: ClientTarget;
}

export type RunEvent =
  | { type: 'env-start'; client: string; message: string }
  | { type: 'env-done'; client: string; prepared: PreparedClient }
  | { type: 'env-failed'; client: string; error: Error }
  | { type: 'case-done'; result: CaseResult; done: number; total: number };

export interface RunOptions {
  /** Cases running at once; the bound keeps CPU contention from moving timings. */
  concurrency?: number;
  onEvent?: (event: RunEvent) => void;
  /** Checked before each case starts; a stopped run returns what finished. */
  signal?: AbortSignal;
  /** Milliseconds between the starts of the first wave's cases (default STAGGER_MS). */
  staggerMs?: number;
  /** Clients prepared (or being prepared) by the caller (see startPreparing); a case waits for its own. */
  prepared?: Map<string, PreparedClient | Error | Promise<PreparedClient | Error>>;
  /**
   * At most this many clients with cases running at once (see clientGate): the warm workers that may stay
   * resident (client-worker.ts maxWorkers). Default: no bound.
   */
  clientCap?: number;
}

/**
 * Cases at once, from the machine. Cases mostly wait on sockets and timers; a case forked from a warm
 * worker costs ~30 ms of CPU to start and ~10-20 MB of its own memory (the worker's pages are shared).
 * 24 per core: on 2 cores an 8-release matrix (136 cases) took 12.3 s at 32 at once and 9.2-10.9 s at 48,
 * because at 32 the long waits (idle gaps, pool timeouts) held every slot while the short TLS cases queued
 * behind them with the CPU 20-50 % busy; 64 was no faster. (16 per core, 24 on 2 cores, gave the same verdicts
 * as 8 over repeated 100-case matrices when every case still started its own Python.) Capped so the cases'
 * memory stays within an eighth of the machine's (64 MB each, a wide margin), and between 4 and 64.
 */
export function machineConcurrency(cores = availableParallelism(), memoryBytes = totalmem()): number {
  const byCpu = cores * 24;
  const byMemory = Math.floor(memoryBytes / 8 / (64 * 1024 * 1024));
  return Math.max(4, Math.min(64, byCpu, byMemory));
}

export const DEFAULT_CONCURRENCY = machineConcurrency();

/**
 * Gap between the starts of the first wave's cases (see runJobs): a Python start per case takes ~130 ms
 * of CPU; a fork from a warm worker far less, so its gap is shorter.
 */
export const STAGGER_MS = 120;
export const WARM_STAGGER_MS = 40;

/** The target a scenario runs against: the client itself, or with the extras the scenario requires of its family. */
export function targetFor(scenario: Scenario, client: ClientTarget, familyId = client.family): ClientTarget {
  const extras = scenario.meta.requires?.extras;
  if (!extras || !client.withExtras) return client;
  // A target whose family is known only once it runs (an image's own client) gets no extras anyway.
  const wanted = familyId ? extras[familyId] : undefined;
  return wanted?.length ? client.withExtras(wanted) : client;
}

/**
 * The (scenario × case × client) jobs, longest wait first. A client whose family a scenario does not cover
 * (no clients/<program>.py for it) gets no jobs from that scenario: `run --client requests` runs every
 * scenario requests covers. A target whose family is known only once prepared (an image's own client) is
 * planned everywhere, and a scenario that does not cover it is not-applicable for it, with the reason.
 */
export function planJobs(scenarios: Scenario[], clients: ClientTarget[], caseNames: string[] = []): Job[] {
  const jobs: Job[] = [];
  for (const client of clients) {
    for (const scenario of scenarios) {
      if (client.family && !programFor(scenario, family(client.family))) continue;
      const target = targetFor(scenario, client);
      for (const c of scenario.cases) {
        if (caseNames.length === 0 || caseNames.includes(c.name)) jobs.push({ scenario, case: c, client: target });
      }
    }
  }
  // Longest first, so the unavoidable waits overlap everything else.
  return jobs.sort((a, b) => b.case.unavoidableWaitMs - a.case.unavoidableWaitMs);
}

/**
 * The jobs in waves of at most `cap` clients (clients in order of their first job), each wave in the plan's
 * own order (longest wait first): with more environments than warm workers may stay resident
 * (client-worker.ts maxWorkers), a run interleaving every client's cases would end and restart workers all
 * along; in waves, a worker is started for its wave and ended once the next one needs the room. Unchanged
 * when every client fits.
 */
export function workerWaves(jobs: Job[], cap: number): Job[] {
  const order = new Map<string, number>();
  for (const job of jobs) {
    const key = job.client.key ?? job.client.label;
    if (holdsWorker(job) && !order.has(key)) order.set(key, order.size);
  }
  if (order.size <= cap) return jobs;
  // A client without a resident worker (npm: a Node process per case) goes with the first wave.
  const wave = (job: Job): number => Math.floor((order.get(job.client.key ?? job.client.label) ?? 0) / cap);
  // Array.prototype.sort is stable: inside a wave, the plan's order stays.
  return [...jobs].sort((a, b) => wave(a) - wave(b));
}

/**
 * Start preparing every client (install environments, start workers and containers), a few at a time in the
 * order given; each entry resolves to the prepared client or its failure (kept per client, never thrown), so
 * a case can start as soon as its own client is ready.
 */
export function startPreparing(
  clients: ClientTarget[],
  options: Pick<RunOptions, 'onEvent'>,
): Map<string, Promise<PreparedClient | Error>> {
  // Preparing a cached environment is starting its worker (a Python importing the client); the runtimes
  // also bound their own builds (installs, image builds: three at a time).
  const preparing = new Map<string, Promise<PreparedClient | Error>>();
  // A few at a time, in the order the jobs need them: sixteen Pythons importing their client at once on two
  // cores are all ready after ~3 s; a few at a time, the first (the longest waits) are ready in a fraction.
  const limit = pLimit(Math.max(3, availableParallelism()));
  for (const client of clients) {
    const key = client.key ?? client.label;
    preparing.set(
      key,
      limit(() => client.prepare((message) => options.onEvent?.({ type: 'env-start', client: key, message }))).then(
        (ready) => {
          options.onEvent?.({ type: 'env-done', client: key, prepared: ready });
          return ready;
        },
        (error: Error) => {
          options.onEvent?.({ type: 'env-failed', client: key, error });
          return error;
        },
      ),
    );
  }
  return preparing;
}

/** Prepare every client and wait for all (see startPreparing). */
export async function prepareClients(
  clients: ClientTarget[],
  options: Pick<RunOptions, 'onEvent'>,
): Promise<Map<string, PreparedClient | Error>> {
  const preparing = startPreparing(clients, options);
  const prepared = new Map<string, PreparedClient | Error>();
  for (const [key, ready] of preparing) prepared.set(key, await ready);
  return prepared;
}

/**
 * How many memory-heavy cases (CaseDefinition.peakMemoryMiB) may run at once: as many of the largest as fit in
 * a quarter of the machine's memory, at least one. Eight decompression bombs inflating 1 GiB each at once on a
 * 2-core machine pushed every other case past its time limit and flipped a timing-sensitive verdict.
 */
export function memoryHeavySlots(jobs: Job[], memoryBytes = totalmem()): number {
  const largest = Math.max(0, ...jobs.map((j) => j.case.peakMemoryMiB ?? 0));
  if (largest === 0) return 1;
  return Math.max(1, Math.floor(memoryBytes / 4 / (largest * 1024 * 1024)));
}

/**
 * Whether a job's client keeps a warm worker resident while its cases run: a Python family's local
 * environment (client-worker.ts). An npm client starts a Node process per case; an image's client (family
 * known only once probed) has its worker in its container.
 */
/**
 * Cases whose client starts a process of its own (an npm client: a Node start with its imports, ~0.12 s of
 * CPU and 87 MB each) that may run at once: four per core. Forks of a warm Python worker cost a few
 * milliseconds and are bounded by the concurrency alone; 48 Node starts at once on two cores starved the
 * fixtures' timers for a second (the self-test's idle-close cases then ended in error).
 */
export function processSlots(cores = availableParallelism()): number {
  return Math.max(4, cores * 4);
}

export function holdsWorker(job: Job): boolean {
  return job.client.family !== undefined && family(job.client.family).runtime === 'python';
}

/**
 * At most `cap` clients with cases started and not all finished: a case whose client is not among them waits
 * until one of them has run its last case. With the jobs in waves (workerWaves), the clients come in plan
 * order, so the cases waiting hold back only cases of clients still further on. Each client's warm worker
 * then serves its cases while it is in, and the worker cap ends it after (instead of ending and restarting
 * workers all along when more clients than the cap run interleaved).
 */
export function clientGate(jobs: Job[], cap: number): { enter(key: string): Promise<boolean>; leave(key: string): void } {
  const left = new Map<string, number>();
  for (const job of jobs) {
    if (!holdsWorker(job)) continue;
    const key = job.client.key ?? job.client.label;
    left.set(key, (left.get(key) ?? 0) + 1);
  }
  const active = new Set<string>();
  const waiting: { key: string; admit: (waited: boolean) => void }[] = [];
  const fits = (key: string): boolean => active.has(key) || active.size < cap;
  return {
    enter(key) {
      // Resolves true when the case had to wait. Clients without a resident worker are not counted.
      if (!left.has(key)) return Promise.resolve(false);
      if (fits(key)) {
        active.add(key);
        return Promise.resolve(false);
      }
      return new Promise((admit) => waiting.push({ key, admit }));
    },
    leave(key) {
      if (!left.has(key)) return;
      const n = left.get(key)! - 1;
      left.set(key, n);
      if (n > 0) return;
      active.delete(key);
      // First come, first in: the plan's (wave) order.
      for (let i = 0; i < waiting.length; ) {
        const w = waiting[i]!;
        if (fits(w.key)) {
          active.add(w.key);
          waiting.splice(i, 1);
          w.admit(true);
        } else i++;
      }
    },
  };
}

export async function runJobs(jobs: Job[], options: RunOptions): Promise<CaseResult[]> {
  const prepared = options.prepared ?? startPreparing(uniqueClients(jobs), options);
  let certs: Promise<CertificateSet> | undefined;
  // Made (and its X.509 libraries loaded) on the first case that needs certificates, not at start-up.
  const certificates = (): Promise<CertificateSet> => (certs ??= import('../certs/certificate-set.ts').then((m) => m.createCertificateSet()));
  const limit = pLimit(options.concurrency ?? DEFAULT_CONCURRENCY);
  const heavy = pLimit(memoryHeavySlots(jobs));
  const ownProcess = pLimit(processSlots());
  const clientCount = uniqueClients(jobs.filter(holdsWorker)).length;
  const gate = options.clientCap !== undefined && clientCount > options.clientCap ? clientGate(jobs, options.clientCap) : null;
  if (gate) phase('client gate', `${clientCount} clients, at most ${options.clientCap} at once`);
  const results: CaseResult[] = [];
  // The fixtures' server library loads while the first clients start (fixtures load it on first use).
  import('../fixtures/http-server.ts').then((m) => m.loadServerLibrary()).catch(() => undefined);
  try {
    await Promise.all(
      jobs.map((job, index) =>
        limit(async () => {
          const key = job.client.key ?? job.client.label;
          const waited = (await gate?.enter(key)) ?? false;
          try {
            await runOne(job, index, key, waited);
          } finally {
            gate?.leave(key);
          }
        }),
      ),
    );
  } finally {
    phase('cases done', `${results.length} of ${jobs.length}`);
    await certs?.then((c) => c.dispose(), () => undefined);
  }
  return results;

  async function runOne(job: Job, index: number, key: string, waited: boolean): Promise<void> {
    // The first wave starts staggered, longest wait first (planJobs' order): clients that all start
    // Python at once on two cores delay the long cases' clocks by a second; a few tens of
    // milliseconds apart, the longest waits get going first and the short cases fit around them.
    const client = await prepared.get(key)!;
    const gap = options.staggerMs ?? (client instanceof Error || client.warm ? WARM_STAGGER_MS : STAGGER_MS);
    // A case that waited for its client's turn (clientGate) starts when a slot frees, not in the first wave.
    const head = !waited && index < (options.concurrency ?? DEFAULT_CONCURRENCY) ? index * gap : 0;
    if (head > 0) await new Promise((resolve) => setTimeout(resolve, head));
    if (options.signal?.aborted) return;
    if (index === 0) phase('first case starts', `${jobs.length} case(s), ${options.concurrency ?? DEFAULT_CONCURRENCY} at once`);
    const run = (): Promise<CaseResult | null> => runCase(job, client as PreparedClient, certificates, options.signal);
    const measured = (): Promise<CaseResult | null> => (job.case.peakMemoryMiB ? heavy(run) : run());
    const result = client instanceof Error ? installFailure(job, client) : holdsWorker(job) ? await measured() : await ownProcess(measured);
    if (!result) return;
    results.push(result);
    options.onEvent?.({ type: 'case-done', result, done: results.length, total: jobs.length });
  }
}

/** One case against one prepared client; null when the run was stopped before the client started. */
export async function runCase(
  job: Job,
  client: PreparedClient,
  certificates: () => Promise<CertificateSet>,
  signal?: AbortSignal,
): Promise<CaseResult | null> {
  const started = performance.now();
  const base = { scenario: job.scenario.meta.id, case: job.case.name, client: client.label, installed: client.installed };
  // A client that cannot be imported says nothing about the case, and must never pass as not-applicable.
  if (client.installed.importError) {
    return { ...base, verdict: 'error', evidence: bare(`the client under test fails to import: ${client.installed.importError}`), durationMs: since(started) };
  }
  const clientFamily = family(client.family);
  const program = programFor(job.scenario, clientFamily);
  if (!program) {
    return { ...base, verdict: 'not-applicable', evidence: bare(notCoveredReason(job.scenario.meta.id, clientFamily)), durationMs: since(started) };
  }
  const version = client.installed.packages[clientFamily.distribution];
  if (!version) {
    return { ...base, verdict: 'error', evidence: bare(`${clientFamily.distribution} is not installed in this environment`), durationMs: since(started) };
  }
  const unsupported = unsupportedReason(clientFamily, version);
  if (unsupported) return { ...base, verdict: 'not-applicable', evidence: bare(unsupported), durationMs: since(started) };
  let fixture;
  try {
    fixture = await job.case.setup({ certs: certificates });
  } catch (error) {
    return { ...base, verdict: 'error', evidence: bare(`fixture setup failed: ${(error as Error).message}`), durationMs: since(started) };
  }
  try {
    // Setup takes a moment: a Ctrl-C in between must not start a client nobody will stop.
    if (signal?.aborted) return null;
    const input = { case: job.case.name, clientModule: client.module, clientFamily: clientFamily.id, ...fixture.input };
    let outcome: ClientProcessOutcome;
    try {
      outcome = await client.run({
        program,
        input,
        timeLimitMs: job.case.timeLimitMs,
        now: fixture.now,
        onStart: (owner) => fixture.admit(owner),
      });
    } catch (error) {
      // The runtime itself failed (a container gone, a disk full): an error verdict, not a lost run.
      return { ...base, verdict: 'error', evidence: bare(`running the client failed: ${(error as Error).message}`), durationMs: since(started) };
    }
    await settle(fixture.observe, 1000);
    await fixture.settled();
    const server = fixture.observe();
    const marks = fixture.marks();
    const judgement = decide(job, outcome, server, marks, client, input);
    return { ...base, verdict: judgement.verdict, evidence: evidenceOf(judgement, outcome, server, marks), durationMs: since(started) };
  } finally {
    await fixture.close().catch(() => undefined);
  }
}

function decide(
  job: Job,
  outcome: ClientProcessOutcome,
  server: Record<string, ServerObservations>,
  marks: Record<string, number>,
  client: PreparedClient,
  input: Record<string, unknown>,
): Judgement {
  if (outcome.timedOut) {
    return { verdict: 'error', reason: `client hung: killed after the ${job.case.timeLimitMs / 1000} s time limit` };
  }
  const report = outcome.report;
  if (!report) {
    return {
      verdict: 'error',
      reason: `client output unusable (${outcome.outputProblem}; exit code ${outcome.exitCode}): ${lastLine(outcome.stderrTail) || 'nothing on stderr'}`,
    };
  }
  if (report.status === 'not-applicable') return { verdict: 'not-applicable', reason: report.reason ?? 'not applicable' };
  if (report.status === 'crashed') {
    const what = report.phase === 'import' ? 'the client under test fails to import' : 'client program crashed';
    return { verdict: 'error', reason: `${what}: ${report.reason}` };
  }
  // A starved fixture (or one that failed a fault) saw the machine, not the client: no judge may read it.
  const unreliable = unreliableReason(server);
  if (unreliable) return { verdict: 'error', reason: unreliable };
  try {
    return job.case.judge({ client: report, server, installed: client.installed, clientExitedAt: outcome.exitedAt, marks, input });
  } catch (error) {
    return { verdict: 'error', reason: `judge failed: ${(error as Error).message}` };
  }
}

/** Give the server a moment to see sockets that the client's exit closed. */
async function settle(observe: () => Record<string, ServerObservations>, maxMs: number): Promise<void> {
  const deadline = performance.now() + maxMs;
  while (performance.now() < deadline) {
    if (Object.values(observe()).every((s) => s.openAtObservation === 0)) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

function evidenceOf(
  judgement: Judgement,
  outcome: ClientProcessOutcome,
  server: Record<string, ServerObservations>,
  marks: Record<string, number>,
): Evidence {
  const report = outcome.report;
  return {
    reason: judgement.reason,
    client: {
      ...(report ? { status: report.status } : {}),
      steps: report?.steps ?? [],
      facts: report?.facts ?? {},
      exitCode: outcome.exitCode,
      timedOut: outcome.timedOut,
      ...(judgement.verdict === 'error' && outcome.stderrTail ? { stderrTail: outcome.stderrTail } : {}),
      ...(outcome.outputProblem ? { outputProblem: outcome.outputProblem } : {}),
      ...(report?.error ? { error: report.error } : {}),
    },
    server,
    ...(Object.keys(marks).length ? { marks } : {}),
    ...(judgement.details ? { details: judgement.details } : {}),
    // A measure describes a reproduction only: a judge that gave one with another verdict is not echoed.
    ...(judgement.measure && judgement.verdict === 'reproduced' ? { measure: judgement.measure } : {}),
  };
}

function installFailure(job: Job, error: Error): CaseResult {
  return {
    scenario: job.scenario.meta.id,
    case: job.case.name,
    client: job.client.label,
    installed: null,
    verdict: 'error',
    evidence: bare(error.message),
    durationMs: 0,
  };
}

function bare(reason: string): Evidence {
  return { reason, client: { steps: [], facts: {}, exitCode: null, timedOut: false }, server: {} };
}

export function uniqueClients(jobs: Job[]): ClientTarget[] {
  return [...new Map(jobs.map((j) => [j.client.key ?? j.client.label, j.client])).values()];
}

function since(started: number): number {
  return Math.round(performance.now() - started);
}

function lastLine(text: string): string {
  return text.trim().split('\n').at(-1) ?? '';
}
