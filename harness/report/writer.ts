// Writes reports/<run-id>/. results.json is rewritten after every finished case, so an interrupted or
// killed run still leaves what it finished; the other formats are written when the run ends (or is
// interrupted). Every file is written whole or not at all (atomic-file.ts: every byte written and counted,
// then renamed into place): a full disk leaves no truncated file under a report's name.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { KnownMarks } from '../known-failures.ts';
import type { CaseResult } from '../types.ts';
import { writeFileWhole } from '../atomic-file.ts';
import { junitXml, type RunInfo, type RunReport, resultsJson, summaryMarkdown } from './formats.ts';
import { reportHtml } from './html.ts';

export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${Math.random().toString(36).slice(2, 6)}`;
}

export class ReportWriter {
  readonly dir: string;
  readonly #info: RunInfo;
  #queue: Promise<unknown> = Promise.resolve();
  /** The newest progress snapshot not yet written, and the queued write that will take it. */
  #latest: RunReport | null = null;
  #pendingProgress: Promise<void> | null = null;
  /** With `run --known`: marks each reproduction known or new, so the reports agree with the exit code. */
  readonly #known: ((results: CaseResult[]) => KnownMarks) | undefined;

  constructor(root: string, info: Omit<RunInfo, 'host' | 'interrupted'>, known?: (results: CaseResult[]) => KnownMarks) {
    this.dir = join(root, info.id);
    this.#known = known;
    this.#info = { ...info, interrupted: false, host: { platform: `${process.platform}-${process.arch}`, node: process.version } };
  }

  /**
   * Record progress: rewrite results.json with what has finished so far. Rewrites coalesce: while one is
   * being written, only the newest snapshot waits (each holds every result so far), so a slow disk never
   * builds a queue of hundreds of ever larger rewrites that the run's end would wait behind (a matrix's
   * last case done, then tens of seconds of fsyncs). The rename keeps each rewrite atomic; the final one
   * (finish) is also flushed to disk.
   */
  progress(results: CaseResult[]): Promise<void> {
    this.#latest = { run: { ...this.#info, interrupted: true }, results: [...results] };
    this.#pendingProgress ??= this.#enqueue(async () => {
      this.#pendingProgress = null;
      const snapshot = this.#latest;
      if (!snapshot) return;
      this.#latest = null;
      await mkdir(this.dir, { recursive: true });
      await writeFileWhole(join(this.dir, 'results.json'), resultsJson(snapshot), { fsync: false });
    });
    return this.#pendingProgress;
  }

  /** Write every format. `interrupted` marks a report of a run that did not finish. */
  finish(results: CaseResult[], interrupted: boolean): Promise<void> {
    const report: RunReport = {
      run: { ...this.#info, interrupted, finishedAt: new Date().toISOString() },
      results: [...results],
      ...(this.#known ? { known: this.#known(results) } : {}),
    };
    // A progress snapshot still waiting is older than this report: it must not be written after it.
    this.#latest = null;
    return this.#enqueue(async () => {
      await mkdir(this.dir, { recursive: true });
      // Settled, not all: a failed file must not leave its siblings' writes running after the error.
      const written = await Promise.allSettled([
        writeFileWhole(join(this.dir, 'junit.xml'), junitXml(report)),
        writeFileWhole(join(this.dir, 'summary.md'), summaryMarkdown(report)),
        writeFileWhole(join(this.dir, 'report.html'), reportHtml(report)),
      ]);
      const failed = written.find((w) => w.status === 'rejected');
      if (failed) throw failed.reason;
      // Last, so a complete results.json means a complete report.
      await writeFileWhole(join(this.dir, 'results.json'), resultsJson(report));
    });
  }

  #enqueue(work: () => Promise<void>): Promise<void> {
    const next = this.#queue.then(work, work);
    this.#queue = next.catch(() => undefined);
    return next;
  }
}
