// `regress merge`: find the shard reports a CI matrix left (report folders, their results.json, or a folder
// of downloaded artifacts holding them) and join them into one run's report. Only a whole plan is joined:
// shards of different plans, a shard missing, a shard given twice are refused, each in one line, because a
// merged table missing a third of its rows (or holding another release list's) would look complete.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { RunInfo, RunReport } from './report/formats.ts';
import { BadInput } from './session.ts';
import type { ShardInfo } from './shard.ts';
import type { CaseResult } from './types.ts';

export interface ShardReport {
  /** Where it was read from, as merge names it in its messages. */
  source: string;
  report: RunReport & { run: RunInfo & { shard: ShardInfo } };
}

export interface MergedShards {
  shard: Omit<ShardInfo, 'index' | 'jobs'>;
  report: RunReport;
}

/** How deep below a named folder merge looks for shard reports (artifacts/<name>/<run-id>/results.json). */
const SEARCH_DEPTH = 3;

/** Every shard report the paths name; a path naming no shard report, or a report that is not a shard's, is bad input. */
export async function readShardReports(paths: string[]): Promise<ShardReport[]> {
  if (!paths.length) throw new BadInput('merge needs the shard reports to join');
  const found: ShardReport[] = [];
  for (const path of paths) {
    const info = await stat(path).catch(() => null);
    if (!info) throw new BadInput(`${path}: no such file or folder`);
    if (info.isFile()) {
      found.push(await readShard(path));
      continue;
    }
    const own = join(path, 'results.json');
    if (await stat(own).catch(() => null)) {
      found.push(await readShard(own));
      continue;
    }
    // A folder of reports (a CI job's downloaded artifacts): every shard report below it.
    const files = await resultsBelow(path, SEARCH_DEPTH);
    const shards: ShardReport[] = [];
    for (const file of files) {
      const read = await readShard(file).catch(() => null);
      if (read) shards.push(read);
    }
    if (!shards.length) throw new BadInput(`${path}: no shard report in it (results.json of a run with --shard K/N)`);
    found.push(...shards);
  }
  return found;
}

async function resultsBelow(dir: string, depth: number): Promise<string[]> {
  if (depth === 0) return [];
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const found: string[] = [];
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (!e.isDirectory()) continue;
    const file = join(dir, e.name, 'results.json');
    if (await stat(file).catch(() => null)) found.push(file);
    else found.push(...(await resultsBelow(join(dir, e.name), depth - 1)));
  }
  return found;
}

/** One shard's results.json; a report that is not a shard's is bad input (below a named folder, it is passed over). */
async function readShard(file: string): Promise<ShardReport> {
  // As given, or shorter from here when it is below here.
  const below = relative(process.cwd(), file);
  const source = below && !below.startsWith('..') ? below : file;
  let report: RunReport;
  try {
    report = JSON.parse(await readFile(file, 'utf8')) as RunReport;
  } catch (error) {
    throw new BadInput(`${source}: not a readable report (${(error as Error).message.split('\n')[0]})`);
  }
  const shard = report?.run?.shard;
  if (!Array.isArray(report?.results) || !shard || typeof shard.plan !== 'string') {
    throw new BadInput(`${source}: not a shard's report (made by \`run\` or \`tables\` with --shard K/N)`);
  }
  return { source, report: report as ShardReport['report'] };
}

const label = (s: ShardReport): string => `${s.report.run.shard.index}/${s.report.run.shard.count}`;

/**
 * Join every shard of one plan, in shard order. Refused (BadInput, one line): reports of different commands,
 * of different plans, of different shard counts, a shard given twice, a shard missing, a result in two shards.
 */
export function joinShards(shards: ShardReport[], command: string, id: string): MergedShards {
  if (!shards.length) throw new BadInput('merge needs the shard reports to join');
  const first = shards[0]!;
  const head = first.report.run.shard;
  for (const s of shards) {
    const shard = s.report.run.shard;
    if (shard.kind !== head.kind) throw new BadInput(`${first.source} is a shard of \`${head.kind}\` and ${s.source} of \`${shard.kind}\`: merge joins the shards of one command`);
    if (shard.plan !== head.plan) {
      throw new BadInput(`${first.source} and ${s.source} are shards of different plans (${head.plan}, ${shard.plan}): every shard must plan the same run (the same options, scenarios, releases and Python)`);
    }
    if (shard.count !== head.count) throw new BadInput(`${first.source} is shard ${label(first)} and ${s.source} shard ${label(s)}: one plan split two ways`);
  }
  const byIndex = new Map<number, ShardReport>();
  for (const s of shards) {
    const twin = byIndex.get(s.report.run.shard.index);
    if (twin) throw new BadInput(`shard ${label(s)} given twice: ${twin.source} and ${s.source}`);
    byIndex.set(s.report.run.shard.index, s);
  }
  const missing = Array.from({ length: head.count }, (_, i) => i + 1).filter((i) => !byIndex.has(i));
  if (missing.length) {
    throw new BadInput(`shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${head.count}`).join(', ')} missing (given: ${[...byIndex.keys()].sort((a, b) => a - b).map((i) => `${i}/${head.count}`).join(', ')})`);
  }
  const ordered = [...byIndex.entries()].sort(([a], [b]) => a - b).map(([, s]) => s);
  const seen = new Map<string, ShardReport>();
  const results: CaseResult[] = [];
  for (const s of ordered) {
    for (const r of s.report.results) {
      const key = `${r.scenario}/${r.case} × ${r.client}`;
      const other = seen.get(key);
      if (other && other !== s) throw new BadInput(`${other.source} and ${s.source} both hold ${key}: not one plan's split`);
      seen.set(key, s);
      results.push(r);
    }
  }
  const runs = ordered.map((s) => s.report.run);
  const { index: _index, jobs: _jobs, ...shard } = head;
  const run: RunInfo = {
    id,
    startedAt: runs.map((r) => r.startedAt).sort()[0]!,
    finishedAt: runs.map((r) => r.finishedAt ?? r.startedAt).sort().at(-1)!,
    interrupted: runs.some((r) => r.interrupted),
    planned: head.planJobs,
    command,
    host: { platform: `${process.platform}-${process.arch}`, node: process.version },
    merged: { kind: head.kind, plan: head.plan, count: head.count, shards: runs.map((r) => r.id) },
  };
  return { shard, report: { run, results } };
}
