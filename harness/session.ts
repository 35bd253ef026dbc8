// One harness run as the CLI drives it: install environments (bad specs are bad input), run the jobs,
// keep a report of what finished, and on Ctrl-C stop the clients and still write that report.
import { killAllGroups } from './runtime/process-group.ts';
import { type EnvironmentCache, InstallError } from './runtime/python-env.ts';
import { type Job, prepareEnvironments, type RunEvent, runJobs, uniqueSpecs } from './runner.ts';
import { newRunId, ReportWriter } from './report/writer.ts';
import type { CaseResult } from './types.ts';

export class BadInput extends Error {}

export interface SessionOptions {
  cache: EnvironmentCache;
  concurrency: number;
  /** Where reports/<run-id>/ goes; null writes none. */
  reportRoot: string | null;
  command: string;
  onEvent?: (event: RunEvent) => void;
}

export interface SessionOutcome {
  results: CaseResult[];
  interrupted: boolean;
  reportDir: string | null;
}

export async function runSession(jobs: Job[], options: SessionOptions): Promise<SessionOutcome> {
  const id = newRunId();
  const writer = options.reportRoot
    ? new ReportWriter(options.reportRoot, { id, startedAt: new Date().toISOString(), planned: jobs.length, command: options.command })
    : null;
  const stop = new AbortController();
  const finished: CaseResult[] = [];
  let onSigint: (() => void) | undefined;
  const interrupted = new Promise<true>((resolve) => {
    onSigint = () => {
      process.stderr.write('\nregress: interrupted; stopping clients and keeping what finished (Ctrl-C again to quit now)\n');
      stop.abort();
      killAllGroups();
      process.once('SIGINT', () => process.exit(130));
      resolve(true);
    };
    process.once('SIGINT', onSigint);
  });

  try {
    // Environments first: a spec that names no real release is bad input, reported before anything runs.
    const environments = await prepareEnvironments(uniqueSpecs(jobs), { cache: options.cache, ...(options.onEvent ? { onEvent: options.onEvent } : {}) });
    for (const env of environments.values()) {
      if (env instanceof InstallError && env.noSuchRelease) throw new BadInput(env.message);
    }
    const run = runJobs(jobs, {
      cache: options.cache,
      environments,
      concurrency: options.concurrency,
      signal: stop.signal,
      onEvent: (event) => {
        if (event.type === 'case-done') {
          // After Ctrl-C the report holds what finished before it, nothing killed on the way out.
          if (stop.signal.aborted) return;
          finished.push(event.result);
          void writer?.progress(finished);
        }
        options.onEvent?.(event);
      },
    });
    const wasInterrupted = (await Promise.race([run.then(() => false), interrupted])) === true;
    await writer?.finish(finished, wasInterrupted);
    return { results: finished, interrupted: wasInterrupted, reportDir: writer?.dir ?? null };
  } finally {
    if (onSigint) process.off('SIGINT', onSigint);
  }
}
