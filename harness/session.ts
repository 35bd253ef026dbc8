// One harness run as the CLI drives it: install environments (bad specs are bad input), run the jobs,
// keep a report of what finished, and on Ctrl-C stop the clients and still write that report.
import { constants } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import { runCleanups } from './runtime/cleanup.ts';
import { onInterrupt } from './runtime/interrupt.ts';
import { phase } from './runtime/phase-log.ts';
import { resetStopping, stopEverything } from './runtime/process-group.ts';
import { InstallError } from './runtime/python-env.ts';
import { maxWorkers } from './runtime/client-worker.ts';
import { type Job, type RunEvent, runJobs, startPreparing, uniqueClients, workerWaves } from './runner.ts';
import { newRunId, ReportWriter } from './report/writer.ts';
import type { PreparedClient } from './runtime/target.ts';
import type { KnownMarks } from './known-failures.ts';
import type { ShardInfo } from './shard.ts';
import type { CaseResult } from './types.ts';

export class BadInput extends Error {
  /**
   * What finished before the bad input was noticed. Clients are prepared while other clients' cases run, so
   * a spec found to name no release can come after reproductions; `run` reports them and exits 1 (nothing
   * may hide a reproduction), see harness/cli/main.ts.
   */
  found: CaseResult[] = [];
}

/** A report directory that cannot be written is bad input, found before anything runs. */
async function checkWritable(root: string): Promise<void> {
  try {
    await mkdir(root, { recursive: true });
    await access(root, constants.W_OK);
  } catch (error) {
    throw new BadInput(`cannot write reports to ${root}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

export interface SessionOptions {
  concurrency: number;
  /** Where reports/<run-id>/ goes; null writes none. */
  reportRoot: string | null;
  command: string;
  onEvent?: (event: RunEvent) => void;
  /** Release what the targets hold (containers) when the session ends. */
  dispose?: () => Promise<void>;
  /** `run --known`: marks reproductions known or new in the reports. */
  known?: (results: CaseResult[]) => KnownMarks;
  /**
   * Results the command adds once every case finished, before the report is written (smoke: an error when
   * no check ran for a client). Not called after Ctrl-C.
   */
  conclude?: (results: CaseResult[]) => CaseResult[];
  /** `--shard K/N`: the report says which shard of which plan it holds (regress merge joins them). */
  shard?: ShardInfo;
}

export interface SessionOutcome {
  results: CaseResult[];
  interrupted: boolean;
  /** null when no report was asked for, or it could not be written (then reportError says why). */
  reportDir: string | null;
  reportError?: string;
}

/**
 * Write the run's report; a report that cannot be written (a full disk) is one line on stderr, never an
 * exception: the verdicts are still printed and still decide the exit code (nothing may hide a reproduction).
 */
async function finishReport(writer: ReportWriter | null, finished: CaseResult[], interrupted: boolean): Promise<Pick<SessionOutcome, 'reportDir' | 'reportError'>> {
  if (!writer) return { reportDir: null };
  try {
    await writer.finish(finished, interrupted);
    return { reportDir: writer.dir };
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    const reportError = `report not written to ${writer.dir}: ${e.code ? `${e.code}, ` : ''}${e.message.replace(/^[A-Z]+: /, '')}`;
    process.stderr.write(`regress: ${reportError}\n`);
    return { reportDir: null, reportError };
  }
}

export async function runSession(planned: Job[], options: SessionOptions): Promise<SessionOutcome> {
  // More environments than warm workers may stay resident: in waves that fit, at most that many clients
  // running at once (runner.ts workerWaves, clientGate).
  const jobs = workerWaves(planned, maxWorkers());
  // A shard's folder says which shard it is, so the artifacts of a CI matrix tell themselves apart.
  const id = `${newRunId()}${options.shard ? `-shard-${options.shard.index}-of-${options.shard.count}` : ''}`;
  if (options.reportRoot) await checkWritable(options.reportRoot);
  const info = { id, startedAt: new Date().toISOString(), planned: jobs.length, command: options.command, ...(options.shard ? { shard: options.shard } : {}) };
  const writer = options.reportRoot ? new ReportWriter(options.reportRoot, info, options.known) : null;
  const stop = new AbortController();
  resetStopping();
  const finished: CaseResult[] = [];
  let stopListening = (): void => undefined;
  let cleanedUp: Promise<void> = Promise.resolve();
  const interrupted = new Promise<void>((resolve) => {
    // CI cancelling a job sends SIGTERM: the same orderly stop as Ctrl-C (clients, containers, report).
    stopListening = onInterrupt('stopping clients and keeping what finished', () => {
      stop.abort();
      // Clients and installers alike: nothing keeps installing after Ctrl-C.
      stopEverything();
      // Containers are removed before the report is written and the command exits.
      cleanedUp = runCleanups();
      resolve();
    });
  });

  try {
    // Every client is prepared at once and each case starts as soon as its own client is ready (a matrix's
    // first cases need not wait for the sixteenth worker). A spec that names no real release is still bad
    // input, reported before anything is written: the report waits until every client is prepared, and on
    // bad input the cases already running are stopped and dropped.
    phase('preparing clients', `${uniqueClients(jobs).length} environment(s)`);
    const preparing = startPreparing(uniqueClients(jobs), { ...(options.onEvent ? { onEvent: options.onEvent } : {}) });
    let reporting = false;
    // A client that failed to prepare gives its cases an error verdict, but only once every client is known
    // not to be bad input (then nothing runs for it at all).
    let checked!: () => void;
    const inputChecked = new Promise<void>((resolve) => (checked = resolve));
    const gated = new Map([...preparing].map(([key, ready]) => [key, ready.then((c): PreparedClient | Error | Promise<PreparedClient | Error> => (c instanceof Error ? inputChecked.then(() => c) : c))]));
    const run = runJobs(jobs, {
      prepared: gated,
      concurrency: options.concurrency,
      clientCap: maxWorkers(),
      signal: stop.signal,
      onEvent: (event) => {
        if (event.type === 'case-done') {
          // After Ctrl-C the report holds what finished before it, nothing killed on the way out.
          if (stop.signal.aborted) return;
          finished.push(event.result);
          // A failed progress write must not stop the run; finish() writes (or reports) the whole.
          if (reporting) writer?.progress(finished).catch(() => undefined);
        }
        options.onEvent?.(event);
      },
    });
    const prepared = await Promise.race([Promise.all(preparing.values()), interrupted.then(() => null)]);
    phase('clients prepared');
    // Interrupted while preparing: what failed then failed because it was stopped, not because of the
    // input; the report of what finished (if anything did) is still written.
    if (!prepared || stop.signal.aborted) {
      stop.abort();
      checked();
      // Bounded: a preparation that does not heed the stop (an engine call during a container build)
      // must not keep the report of what finished from being written.
      await within(run.catch(() => undefined), STUCK_AFTER_INTERRUPT_MS);
      await within(cleanedUp, STUCK_AFTER_INTERRUPT_MS);
      return { results: finished, interrupted: true, ...(await finishReport(writer, finished, true)) };
    }
    const bad = prepared.find((client) => (client instanceof InstallError && client.noSuchRelease) || client instanceof BadInput);
    if (bad) {
      stop.abort();
      stopEverything();
      checked();
      await run.catch(() => undefined);
      throw Object.assign(new BadInput((bad as Error).message), { found: finished });
    }
    reporting = true;
    checked();
    if (finished.length) writer?.progress(finished).catch(() => undefined);
    await Promise.race([run, interrupted]);
    // Killing clients makes the run finish quickly too: the abort signal, not the race, says what happened.
    const wasInterrupted = stop.signal.aborted;
    if (wasInterrupted) await within(cleanedUp, STUCK_AFTER_INTERRUPT_MS);
    else if (options.conclude) finished.push(...options.conclude([...finished]));
    const report = await finishReport(writer, finished, wasInterrupted);
    phase('report written', report.reportDir ?? 'none');
    return { results: finished, interrupted: wasInterrupted, ...report };
  } finally {
    stopListening();
    if (stop.signal.aborted) exitIfStuck(finished);
    await options.dispose?.();
  }
}

/** How long each step of an interrupted command's end may take (the run's stop, releasing containers, the exit). */
const STUCK_AFTER_INTERRUPT_MS = 15_000;

/** The promise, or nothing after `ms`. */
function within(promise: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/**
 * After an interrupt the command ends once its report is written and its resources released. Something
 * that still holds the process then (once in 9 Ctrl-Cs during a container environment build: a connection
 * to the engine) must not keep it from exiting: an unref'd timer, so a command that ends in time is not
 * held either. The exit code is the command's if it has set one, else the interrupt's (1 when something
 * reproduced: nothing may hide a reproduction).
 */
function exitIfStuck(finished: CaseResult[]): void {
  const code = finished.some((r) => r.verdict === 'reproduced') ? 1 : 130;
  setTimeout(() => {
    process.stderr.write(`regress: still running ${STUCK_AFTER_INTERRUPT_MS / 1000} s after the interrupted run ended; exiting\n`);
    process.exit(process.exitCode ?? code);
  }, STUCK_AFTER_INTERRUPT_MS).unref();
}
