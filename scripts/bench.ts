// npm run bench: speed figures of the harness, measured in one run on this machine.
//   gate       every scenario against one release (warm caches) vs the floor: the longest wait a case
//              cannot avoid (keepalive-expiry's idle gap)
//   matrix     every scenario × 10 releases (warm caches) vs the same floor
//   env        a new environment with nothing cached (fresh uv cache too), one with uv's cache warm,
//              and a cached one
//   overhead   the harness's cost per client run: a full contract run of an empty scenario vs the bare
//              interpreter importing the client
// Prints a table and writes reports/bench.json (atomically).
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import writeFileAtomic from 'write-file-atomic';
import { latestPerMinor, listReleases, selectReleases } from '../harness/package-index.ts';
import { runClientProgram } from '../harness/runtime/client-process.ts';
import { EnvironmentCache, findPython, venvTarget } from '../harness/runtime/python-env.ts';
import { DEFAULT_CONCURRENCY, planJobs } from '../harness/runner.ts';
import { loadScenarios } from '../harness/scenarios.ts';
import { runSession } from '../harness/session.ts';
import { parseClientSpec } from '../harness/spec.ts';

const CONCURRENCY = Number(process.env.REGRESS_BENCH_CONCURRENCY ?? 0) || DEFAULT_CONCURRENCY;
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);
const seconds = (ms: number) => Math.round(ms) / 1000;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const value = await work();
  return [value, performance.now() - started];
}

const python = await findPython();
const cache = new EnvironmentCache(python);
const scenarios = await loadScenarios();
const floorMs = Math.max(...scenarios.flatMap((s) => s.cases.map((c) => c.unavoidableWaitMs)));
const session = (specs: string[]) =>
  runSession(planJobs(scenarios, specs.map((s) => venvTarget(cache, parseClientSpec(s)))), {
    concurrency: CONCURRENCY,
    reportRoot: null,
    command: 'bench',
  });

// Warm the caches the gate and matrix use, so they measure runs, not installs.
const releases = latestPerMinor(selectReleases(await listReleases('httpx'), { from: '0.10' })).slice(-10).map((v) => `httpx==${v}`);
log(`warming ${releases.length} environments`);
await Promise.all(releases.map((s) => cache.ensure(parseClientSpec(s))));

log('gate: every scenario against httpx==0.28.1');
const [gate, gateMs] = await timed(() => session(['httpx==0.28.1']));
log(`matrix: every scenario × ${releases.length} releases (${releases[0]} … ${releases.at(-1)})`);
const [matrix, matrixMs] = await timed(() => session(releases));

log('env: a new environment, nothing cached (fresh regress and uv caches)');
const coldRoot = await mkdtemp(join(tmpdir(), 'regress-bench-'));
process.env.UV_CACHE_DIR = join(coldRoot, 'uv-cache');
const spec = parseClientSpec('httpx==0.27.2');
const [, coldMs] = await timed(() => new EnvironmentCache(python, join(coldRoot, 'a')).ensure(spec));
log('env: a new environment, uv cache warm');
const [, uvWarmMs] = await timed(() => new EnvironmentCache(python, join(coldRoot, 'b')).ensure(spec));
delete process.env.UV_CACHE_DIR;
log('env: a cached environment');
const [env, warmMs] = await timed(() => new EnvironmentCache(python, join(coldRoot, 'b')).ensure(spec));

log('overhead: 10 contract runs of an empty scenario vs 10 bare imports');
const program = join(coldRoot, 'empty_client.py');
await writeFile(program, 'import regress_compat as rc\n\nasync def scenario(ctx):\n    pass\n\nrc.main(scenario)\n');
const harnessRuns: number[] = [];
const bareRuns: number[] = [];
for (let i = 0; i < 10; i++) {
  const [, h] = await timed(() =>
    runClientProgram({ python: env.python, program, input: {}, module: 'httpx', timeLimitMs: 30_000, now: () => 0 }),
  );
  harnessRuns.push(h);
  const [, b] = await timed(() => execa(env.python, ['-c', 'import httpx, json, asyncio']));
  bareRuns.push(b);
}
await rm(coldRoot, { recursive: true, force: true });

// Container runtime: start of the long-lived container, and the cost of one exec, when an engine is here.
let container: { image: string; startMs: number; execMedianMs: number } | { skipped: string };
try {
  const { ContainerPool } = await import('../harness/container/container-runtime.ts');
  const { imageExists } = await import('../harness/container/engine.ts');
  const image = 'regress/python:3.11';
  if (!(await imageExists(image))) throw new Error(`${image} missing (npx regress images build)`);
  log(`container: start from ${image}, 20 execs`);
  const pool = new ContainerPool();
  try {
    const [started, startMs] = await timed(() => pool.container(image));
    const execs: number[] = [];
    for (let i = 0; i < 20; i++) execs.push((await timed(() => started.exec(['python3', '-c', 'pass'])))[1]);
    container = { image, startMs: Math.round(startMs), execMedianMs: Math.round(median(execs)) };
  } finally {
    await pool.dispose();
  }
} catch (error) {
  container = { skipped: (error as Error).message.split('\n')[0]! };
  log(`container: skipped (${container.skipped})`);
}

const figures = {
  machine: { cpus: (await import('node:os')).cpus().length, node: process.version, python: python.version, platform: `${process.platform}-${process.arch}` },
  floorSeconds: seconds(floorMs),
  gate: { client: 'httpx==0.28.1', cases: gate.results.length, seconds: seconds(gateMs), timesFloor: +(gateMs / floorMs).toFixed(2), target: '≤ 1.5× floor' },
  matrix: { releases, cases: matrix.results.length, seconds: seconds(matrixMs), timesFloor: +(matrixMs / floorMs).toFixed(2), target: '≤ 3× floor' },
  environment: { spec: spec.label, coldSeconds: seconds(coldMs), uvCacheWarmSeconds: seconds(uvWarmMs), cachedMs: +warmMs.toFixed(2) },
  perClientRun: {
    harnessMedianMs: Math.round(median(harnessRuns)),
    bareImportMedianMs: Math.round(median(bareRuns)),
    overheadMs: Math.round(median(harnessRuns) - median(bareRuns)),
  },
  container,
  verdictErrors: [...gate.results, ...matrix.results].filter((r) => r.verdict === 'error').length,
  measuredAt: new Date().toISOString(),
};

const rows: [string, string][] = [
  ['floor (longest unavoidable wait)', `${figures.floorSeconds} s`],
  [`gate: ${figures.gate.cases} cases × 1 release`, `${figures.gate.seconds} s = ${figures.gate.timesFloor}× floor (target ≤ 1.5×)`],
  [`matrix: ${figures.matrix.cases} cases × ${releases.length} releases`, `${figures.matrix.seconds} s = ${figures.matrix.timesFloor}× floor (target ≤ 3×)`],
  ['new environment, nothing cached', `${figures.environment.coldSeconds} s`],
  ['new environment, uv cache warm', `${figures.environment.uvCacheWarmSeconds} s`],
  ['cached environment (lookup)', `${figures.environment.cachedMs} ms`],
  ['client run through the harness (median of 10)', `${figures.perClientRun.harnessMedianMs} ms`],
  ['bare python importing httpx (median of 10)', `${figures.perClientRun.bareImportMedianMs} ms`],
  ['harness overhead per client run', `${figures.perClientRun.overheadMs} ms`],
  ...('skipped' in container
    ? ([['container runtime', `skipped: ${container.skipped}`]] as [string, string][])
    : ([
        [`container start (${container.image}, host network)`, `${container.startMs} ms`],
        ['container exec of python3 -c pass (median of 20)', `${container.execMedianMs} ms`],
      ] as [string, string][])),
  ['error verdicts during the bench', String(figures.verdictErrors)],
];
const width = Math.max(...rows.map(([k]) => k.length));
process.stdout.write(`${rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')}\n`);
await mkdir('reports', { recursive: true });
await writeFileAtomic(join('reports', 'bench.json'), `${JSON.stringify(figures, null, 2)}\n`);
process.stderr.write('[bench] wrote reports/bench.json\n');
