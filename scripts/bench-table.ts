// The catalogue at scale, measured (part of `npm run bench`; alone: `node scripts/bench-table.ts`):
//   full table  one `regress tables` of every scenario and every family (every release the family records'
//               `tables` fields select): wall time and the peak memory of its whole process tree
//   shards      the same plan as `tables --shard K/N` for every K (REGRESS_BENCH_TABLE_SHARDS, default 3),
//               one after another on this machine (on CI each is a runner of its own): each one's time and
//               peak, then `regress merge`, whose printed tables are compared with the unsharded run's
//   worker RSS  one warm worker of each family's newest release, idle: the figure client-worker.ts's cap
//               (REGRESS_MAX_WORKERS) is budgeted from
// The table runs are the CLI's own (node bin/regress.js), printing their tables (no --write: the READMEs
// stay as they are). REGRESS_BENCH_TABLE=0 leaves this part out of `npm run bench`.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileWhole } from '../harness/atomic-file.ts';
import { families } from '../harness/families.ts';
import { compare } from '@renovatebot/pep440';
import { listReleases, selectReleases } from '../harness/package-index.ts';
import { closeWorkers, maxWorkers, workerFor } from '../harness/runtime/client-worker.ts';
import { EnvironmentCache, findPython } from '../harness/runtime/python-env.ts';
import { parseClientSpec } from '../harness/spec.ts';
import { type MemoryPeak, sampleMemory } from './process-tree.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

export interface TableRun {
  seconds: number;
  exitCode: number | null;
  cases: number;
  peakMemory: MemoryPeak;
  /** The shard line of a sharded run: `shard 1/3 of plan …: 731 of 2194 cases`. */
  shard?: string;
  /** The machine's 1-minute load average when it started and when it ended (other work slows the cases). */
  load: [number, number];
  /** What it printed on stdout (the tables). */
  stdout: string;
}

/** One CLI run with its wall time and the peak memory of the process tree (this process, the CLI, its clients). */
async function timedCli(args: string[]): Promise<TableRun> {
  const memory = sampleMemory(250);
  const loadBefore = +loadavg()[0]!.toFixed(1);
  const started = performance.now();
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'regress.js'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  // The plan and shard lines come first, before thousands of progress lines: read them as they come.
  let pending = '';
  let planned: string | undefined;
  let shard: RegExpExecArray | null = null;
  child.stdout.setEncoding('utf8').on('data', (t: string) => (stdout += t));
  child.stderr.setEncoding('utf8').on('data', (t: string) => {
    const lines = (pending + t).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      planned ??= /^\[tables\] \d+ releases of [^:]+: (\d+) cases/.exec(line)?.[1];
      shard ??= /^\[tables\] (shard \d+\/\d+ of plan [0-9a-f]+: (\d+) of \d+ cases)/.exec(line);
    }
  });
  const exitCode = await new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  const seconds = Math.round(performance.now() - started) / 1000;
  const peakMemory = await memory.stop();
  const load: [number, number] = [loadBefore, +loadavg()[0]!.toFixed(1)];
  return { seconds, exitCode, cases: Number(shard?.[2] ?? planned ?? 0), peakMemory, ...(shard ? { shard: shard[1]! } : {}), load, stdout };
}

/** A table line with its verdict cells blanked: what the tables are made of, whatever the cases measured. */
function shape(line: string): string {
  return line.replace(/(✅ fixed|❌ reproduced|➖ n\/a|⚠️ error)( \([^)|]*\))?/g, 'VERDICT');
}

/** Lines that differ between two printed table sets (a verdict that moved between two runs shows here). */
function differingLines(a: string, b: string): string[] {
  const left = a.split('\n');
  const right = b.split('\n');
  const out: string[] = [];
  for (let i = 0; i < Math.max(left.length, right.length); i++) if (left[i] !== right[i]) out.push(`- ${left[i] ?? ''}\n+ ${right[i] ?? ''}`);
  return out;
}

/** An idle warm worker's RSS and PSS for the newest release of each family. */
async function workerRss(): Promise<Record<string, { rssMb: number; pssMb: number }>> {
  const cache = new EnvironmentCache(await findPython());
  const kb = (pid: number, file: string, field: string): number =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/${file}`, 'utf8'))?.[1] ?? 0);
  const figures: Record<string, { rssMb: number; pssMb: number }> = {};
  // Python families only: an npm client has no resident worker (a Node process per case).
  for (const f of families().filter((x) => x.runtime === 'python')) {
    const newest = selectReleases(await listReleases(f.distribution), {}).sort(compare).at(-1);
    if (!newest) continue;
    const spec = parseClientSpec(`${f.distribution}==${newest}`);
    const env = await cache.ensure(spec);
    const worker = await workerFor(env.python, spec.family);
    // Settled after its import (the ready line comes before the interpreter has returned its pages).
    await new Promise((r) => setTimeout(r, 500));
    if (worker.pid === undefined) continue;
    figures[spec.label] = { rssMb: +(kb(worker.pid, 'status', 'VmRSS') / 1024).toFixed(1), pssMb: +(kb(worker.pid, 'smaps_rollup', 'Pss') / 1024).toFixed(1) };
  }
  await closeWorkers();
  return figures;
}

export async function benchTable(shardCount = Math.max(1, Number(process.env.REGRESS_BENCH_TABLE_SHARDS ?? 3) || 3)) {
  const work = await mkdtemp(join(tmpdir(), 'regress-bench-table-'));
  try {
    log('worker RSS (newest release of each family)');
    const workers = await workerRss();
    log('full table: regress tables (every scenario, every family)');
    const full = await timedCli(['tables', '--reports', join(work, 'full')]);
    log(`full table: ${full.cases} cases in ${full.seconds} s (exit ${full.exitCode}), peak ${full.peakMemory.rssMb} MB RSS / ${full.peakMemory.pssMb} MB PSS over ${full.peakMemory.processes} processes, load ${full.load.join(" → ")}`);
    const shards: TableRun[] = [];
    for (let k = 1; k <= shardCount; k++) {
      log(`shard ${k}/${shardCount}`);
      shards.push(await timedCli(['tables', '--shard', `${k}/${shardCount}`, '--reports', join(work, 'shards')]));
      log(`shard ${k}/${shardCount}: ${shards.at(-1)!.cases} cases in ${shards.at(-1)!.seconds} s, peak ${shards.at(-1)!.peakMemory.rssMb} MB RSS / ${shards.at(-1)!.peakMemory.pssMb} MB PSS, load ${shards.at(-1)!.load.join(" → ")}`);
    }
    const merge = await timedCli(['merge', join(work, 'shards'), '--out', join(work, 'merged')]);
    const differing = differingLines(full.stdout, merge.stdout);
    // Two runs of timing-sensitive cases on a loaded machine need not agree on every verdict; what merge
    // must give is the same tables: every line the same once the verdict cells are blanked.
    const shapeDifferences = differingLines(full.stdout.split('\n').map(shape).join('\n'), merge.stdout.split('\n').map(shape).join('\n'));
    const sameShape = shapeDifferences.length === 0;
    if (!sameShape) {
      // Kept for a look: what differs beyond verdicts is a bug of the merge (or of the tables' determinism).
      await mkdir(join(ROOT, 'reports'), { recursive: true });
      await writeFileWhole(join(ROOT, 'reports', 'bench-table-unsharded.txt'), full.stdout);
      await writeFileWhole(join(ROOT, 'reports', 'bench-table-merged.txt'), merge.stdout);
      log('the merged tables differ from the unsharded ones beyond verdicts: reports/bench-table-{unsharded,merged}.txt');
    }
    const errors = async (dir: string): Promise<number> => {
      let n = 0;
      for (const run of await readdir(dir)) {
        const report = JSON.parse(await readFile(join(dir, run, 'results.json'), 'utf8')) as { results: { verdict: string }[] };
        n += report.results.filter((r) => r.verdict === 'error').length;
      }
      return n;
    };
    const strip = ({ stdout: _, ...rest }: TableRun) => rest;
    return {
      workerRss: workers,
      workerCap: maxWorkers(),
      fullTable: { ...strip(full), errors: await errors(join(work, 'full')) },
      shards: shards.map(strip),
      shardErrors: await errors(join(work, 'shards')),
      merge: { ...strip(merge), tablesIdentical: differing.length === 0, sameButVerdicts: sameShape, differingLines: differing.length, firstDifferences: differing.slice(0, 20), firstShapeDifferences: shapeDifferences.slice(0, 20) },
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

export type TableFigures = Awaited<ReturnType<typeof benchTable>>;

export function tableRows(t: TableFigures): [string, string][] {
  const mem = (m: MemoryPeak) => `peak ${m.rssMb} MB RSS / ${m.pssMb} MB PSS over ${m.processes} processes`;
  return [
    [`full table: ${t.fullTable.cases} cases (every scenario × family × release)`, `${t.fullTable.seconds} s, exit ${t.fullTable.exitCode}, ${t.fullTable.errors} error verdict(s); ${mem(t.fullTable.peakMemory)}; load ${t.fullTable.load.join(' → ')}`],
    ...t.shards.map((s, i): [string, string] => [`  shard ${i + 1}/${t.shards.length}: ${s.cases} cases`, `${s.seconds} s; ${mem(s.peakMemory)}; load ${s.load.join(' → ')}`]),
    ['  slowest shard / full table', `${(Math.max(...t.shards.map((s) => s.seconds)) / t.fullTable.seconds).toFixed(2)} (shards ran one after another here; on CI each is a runner of its own)`],
    [
      '  merge of the shards',
      `${t.merge.seconds} s; tables identical to the unsharded run's: ${t.merge.tablesIdentical}${t.merge.tablesIdentical ? '' : ` (${t.merge.differingLines} row(s) differ${t.merge.sameButVerdicts ? ', in verdict cells only: cases whose verdict moved between the two runs' : ', NOT only in verdicts'})`}`,
    ],
    ['worker RSS, idle (newest releases)', Object.entries(t.workerRss).map(([k, v]) => `${k} ${v.rssMb} MB (PSS ${v.pssMb})`).join(', ')],
    ['worker cap on this machine (REGRESS_MAX_WORKERS)', String(t.workerCap)],
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const figures = { ...(await benchTable()), measuredAt: new Date().toISOString() };
  const rows = tableRows(figures);
  const width = Math.max(...rows.map(([k]) => k.length));
  process.stdout.write(`${rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')}\n`);
  await mkdir(join(ROOT, 'reports'), { recursive: true });
  await writeFileWhole(join(ROOT, 'reports', 'bench-table.json'), `${JSON.stringify(figures, null, 2)}\n`);
  log('wrote reports/bench-table.json');
}
