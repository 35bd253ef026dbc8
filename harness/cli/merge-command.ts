// `regress merge <shard reports...>`: one report from the shards of `run --shard K/N` or `tables --shard K/N`
// (harness/merge.ts finds and checks them), written as a run writes its own (results.json, junit.xml,
// summary.md, report.html). Tables shards give the tables one unsharded `tables` gives (`--write` writes
// them into the READMEs); run shards give run's verdict table and its exit code: 1 when anything not
// accepted (--known) reproduced, whatever else happened.
import { basename, dirname, resolve } from 'node:path';
import { knownLines, knownMarks, readKnownFailures, splitKnown } from '../known-failures.ts';
import { joinShards, readShardReports } from '../merge.ts';
import { newRunId, ReportWriter } from '../report/writer.ts';
import { BadInput } from '../session.ts';
import type { Scenario } from '../types.ts';
import { EXIT, exitCodeAfter, sortResults } from './common.ts';
import { summaryLine, verdictTable } from './output.ts';
import { scenariosFor } from './scenario-folders.ts';
import { renderTables } from './tables-command.ts';

export interface MergeOptions {
  out?: string;
  reports: string;
  report: boolean;
  write?: boolean;
  known?: string;
  json?: boolean;
  scenarios?: string[];
}

export async function mergeCommand(paths: string[], options: MergeOptions): Promise<number> {
  const shards = await readShardReports(paths);
  const root = options.out ? dirname(resolve(options.out)) : options.reports;
  const id = options.out ? basename(resolve(options.out)) : `${newRunId()}-merged`;
  const { shard, report } = joinShards(shards, `regress ${process.argv.slice(2).join(' ')}`, id);
  if (shard.kind === 'run' && options.write) throw new BadInput('--write writes the tables of `tables` shards; these are shards of `run`');
  if (shard.kind === 'tables' && options.known) throw new BadInput('--known marks the reproductions of `run` shards; these are shards of `tables`');
  process.stderr.write(`[merge] ${shard.count} shard(s) of the ${shard.kind} plan ${shard.plan}: ${report.results.length} of ${shard.planJobs} cases${report.run.interrupted ? ' (a shard was interrupted)' : ''}\n`);
  const all = await scenariosFor(options);
  const known = options.known ? await readKnownFailures(options.known, all) : null;
  const split = known ? splitKnown(report.results, known) : null;
  const marks = split && options.known ? knownMarks(split, options.known) : undefined;
  const reportFailed = options.report ? await writeMerged(root, report, marks) : false;
  const verdictCode = shard.kind === 'tables' ? await tablesOutput(all, shard, report, options) : runOutput(report, options, split && options.known ? { split, file: options.known } : null);
  // The merged report is merge's product: one that could not be written fails the merge, unless a
  // reproduction's exit 1 already says more.
  return reportFailed && verdictCode === EXIT.ok ? EXIT.error : verdictCode;
}

/** Write the merged report; a report that cannot be written is one line (the verdicts still decide). */
async function writeMerged(root: string, report: ReturnType<typeof joinShards>['report'], marks: ReturnType<typeof knownMarks> | undefined): Promise<boolean> {
  const { id, startedAt, planned, command, merged } = report.run;
  const writer = new ReportWriter(root, { id, startedAt, planned, command, ...(merged ? { merged } : {}) }, marks ? () => marks : undefined);
  try {
    await writer.finish(report.results, report.run.interrupted);
    process.stderr.write(`report: ${writer.dir}/report.html\n`);
    return false;
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    process.stderr.write(`regress: report not written to ${writer.dir}: ${e.code ? `${e.code}, ` : ''}${e.message.replace(/^[A-Z]+: /, '')}\n`);
    return true;
  }
}

/** Tables shards: the tables of the plan, as one unsharded `tables` run prints or writes them. */
async function tablesOutput(all: Scenario[], shard: ReturnType<typeof joinShards>['shard'], report: ReturnType<typeof joinShards>['report'], options: MergeOptions): Promise<number> {
  const plan = shard.tables;
  if (!plan) throw new BadInput(`the tables shards of plan ${shard.plan} carry no table plan (made by another version of regress?)`);
  // Not written from an interrupted shard, as `tables` writes nothing after an interrupt: rows would be missing.
  if (report.run.interrupted) {
    process.stderr.write('[merge] a shard was interrupted: its tables are incomplete and are not made\n');
    return EXIT.interrupted;
  }
  const byId = new Map(all.map((s) => [s.meta.id, s]));
  const missing = plan.scenarios.filter((id) => !byId.has(id));
  if (missing.length) throw new BadInput(`the shards ran scenario${missing.length > 1 ? 's' : ''} ${missing.join(', ')}, which this checkout does not have (give the project's folders with --scenarios)`);
  return renderTables(plan.scenarios.map((id) => byId.get(id)!), plan, report.results, options);
}

/** Run shards: run's verdict table (or --json) and run's exit code. */
function runOutput(report: ReturnType<typeof joinShards>['report'], options: MergeOptions, known: { split: ReturnType<typeof splitKnown>; file: string } | null): number {
  const { results, run } = report;
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ results: sortResults(results), ...(known ? { known: knownMarks(known.split, known.file) } : {}) }, null, 2)}\n`);
  } else {
    const wallMs = Date.parse(run.finishedAt ?? run.startedAt) - Date.parse(run.startedAt);
    process.stdout.write(`\n${verdictTable(results)}\n\n${summaryLine(results, wallMs)}\n`);
  }
  if (!known) return exitCodeAfter({ results, interrupted: run.interrupted });
  const out = options.json ? process.stderr : process.stdout;
  for (const line of knownLines(known.split, known.file)) out.write(`${line}\n`);
  // Accepted reproductions do not fail the merge, as they do not fail `run --known`.
  return exitCodeAfter({ results: results.filter((r) => r.verdict !== 'reproduced' || known.split.fresh.includes(r)), interrupted: run.interrupted });
}
