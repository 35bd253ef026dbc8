// One harness run as the CLI drives it: install environments (bad specs are bad input), run the jobs,
// keep a report of what finished, and on Ctrl-C stop the clients and still write that report.
import { constants } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import { runCleanups } from './runtime/cleanup.ts';
import { phase } from './runtime/phase-log.ts';
import { resetStopping, stopEverything } from './runtime/process-group.ts';
import { InstallError } from './runtime/python-env.ts';
import { type Job, prepareClients, type RunEvent, runJobs, uniqueClients } from './runner.ts';
import { newRunId, ReportWriter } from './report/writer.ts';
import type { CaseResult } from './types.ts';

export class BadInput extends Error {}

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
}

export interface SessionOutcome {
  results: CaseResult[];
  interrupted: boolean;
  reportDir: string | null;
}

export async function runSession(jobs: Job[], options: SessionOptions): Promise<SessionOutcome> {
  const id = newRunId();
  if (options.reportRoot) await checkWritable(options.reportRoot);
  const writer = options.reportRoot
    ? new ReportWriter(options.reportRoot, { id, startedAt: new Date().toISOString(), planned: jobs.length, command: options.command })
    : null;
  const stop = new AbortController();
  resetStopping();
  const finished: CaseResult[] = [];
  let onSigint: (() => void) | undefined;
  let cleanedUp: Promise<void> = Promise.resolve();
  const interrupted = new Promise<void>((resolve) => {
    onSigint = () => {
      process.stderr.write('\nregress: interrupted; stopping clients and keeping what finished (Ctrl-C again to quit now)\n');
      stop.abort();
      // Clients and installers alike: nothing keeps installing after Ctrl-C.
      stopEverything();
      process.once('SIGINT', () => process.exit(130));
      // Containers are removed before the report is written and the command exits.
      cleanedUp = runCleanups();
      resolve();
    };
    process.once('SIGINT', onSigint);
    // CI cancelling a job sends SIGTERM: the same orderly stop (clients, containers, report).
    process.once('SIGTERM', onSigint);
  });

  try {
    // Environments first: a spec that names no real release is bad input, reported before anything runs.
    phase('preparing clients', `${uniqueClients(jobs).length} environment(s)`);
    const prepared = await prepareClients(uniqueClients(jobs), { ...(options.onEvent ? { onEvent: options.onEvent } : {}) });
    phase('clients prepared');
    // Interrupted while preparing: what failed then failed because it was stopped, not because of the
    // input; no case runs, and the (empty) report of what finished is still written.
    if (stop.signal.aborted) {
      await cleanedUp;
      await writer?.finish(finished, true);
      return { results: finished, interrupted: true, reportDir: writer?.dir ?? null };
    }
    for (const client of prepared.values()) {
      if ((client instanceof InstallError && client.noSuchRelease) || client instanceof BadInput) throw new BadInput(client.message);
    }
    const run = runJobs(jobs, {
      prepared,
      concurrency: options.concurrency,
      signal: stop.signal,
      onEvent: (event) => {
        if (event.type === 'case-done') {
          // After Ctrl-C the report holds what finished before it, nothing killed on the way out.
          if (stop.signal.aborted) return;
          finished.push(event.result);
          // A failed progress write must not stop the run; finish() writes (or reports) the whole.
          writer?.progress(finished).catch(() => undefined);
        }
        options.onEvent?.(event);
      },
    });
    await Promise.race([run, interrupted]);
    // Killing clients makes the run finish quickly too: the abort signal, not the race, says what happened.
    const wasInterrupted = stop.signal.aborted;
    if (wasInterrupted) await cleanedUp;
    await writer?.finish(finished, wasInterrupted);
    phase('report written', writer?.dir ?? 'none');
    return { results: finished, interrupted: wasInterrupted, reportDir: writer?.dir ?? null };
  } finally {
    if (onSigint) {
      process.off('SIGINT', onSigint);
      process.off('SIGTERM', onSigint);
    }
    await options.dispose?.();
  }
}
