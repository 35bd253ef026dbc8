// npm run bench: speed figures of the harness, measured in one run on this machine (run it on an idle one).
//   gate       every scenario against one release (warm caches) vs the floor: the longest wait a case
//              cannot avoid (keepalive-expiry's idle gap), with the leak repetition as `regress run` plans it
//              (harness/soak/gate-repeat.ts) and without it (--no-repeat); also with REGRESS_WORKER=0 (a
//              Python per case), for the CPU a case costs without the warm worker
//   families   every scenario against the newest release of each family (httpx, httpx2, requests, urllib3, as
//              the family records list them): the gate of a project that ships several clients, vs the floor
//   matrix     every scenario × 8 releases (warm caches, leak repetition included) vs the same floor
//              (gate and matrix: the median of REGRESS_BENCH_REPEAT runs, default 3, with the share of CPU
//              time the hypervisor stole for other guests meanwhile: single runs move by seconds on a VM)
//   peer       (optional: needs uv; REGRESS_BENCH_PEER=0 skips) the same ten HTTP/1.1 cases as a pytest
//              suite run by nox over the same releases (bench/peer/), one session at a time and with
//              pytest-xdist (-n 4); nox and its uv live in a dedicated venv in the harness cache
//   first      first verdict for a release nothing is cached for (uv's cache warm), regress vs the peer
//   start-up   `npx regress list` vs the bin started by Node directly
//   env        a new environment with nothing cached (fresh uv cache too), one with uv's cache warm, a cached one
//   overhead   one empty client run: through the warm worker, as its own Python process, and bare Python
//   table      (REGRESS_BENCH_TABLE=0 skips; scripts/bench-table.ts, which also runs alone) the full
//              `regress tables` of every scenario and family: time and peak memory; the same plan as
//              `--shard K/3`, each shard's time and peak, and `regress merge`'s tables against the unsharded
//              run's; an idle warm worker's RSS (what the worker cap is budgeted from)
// Every session records CPU seconds per case and the peak memory of the process tree (scripts/process-tree.ts).
// Prints a table and writes reports/bench.json (atomically).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { execa } from 'execa';
import { writeFileWhole } from '../harness/atomic-file.ts';
import { satisfies } from '@renovatebot/pep440';
import { families, interpreterReason } from '../harness/families.ts';
import { latestPerMinor, listReleases, selectReleases } from '../harness/package-index.ts';
import { runClientProgram } from '../harness/runtime/client-process.ts';
import { closeWorkers, workerFor } from '../harness/runtime/client-worker.ts';
import { EnvironmentCache, findPython, venvTarget } from '../harness/runtime/python-env.ts';
import { DEFAULT_CONCURRENCY, planJobs, prepareClients, uniqueClients } from '../harness/runner.ts';
import { loadScenarios } from '../harness/scenarios.ts';
import { runSession } from '../harness/session.ts';
import { withRepeats } from '../harness/soak/gate-repeat.ts';
import { parseClientSpec } from '../harness/spec.ts';
import type { CaseResult } from '../harness/types.ts';
import { type MemoryPeak, sampleMemory, treeCpuSeconds } from './process-tree.ts';
import { benchTable, tableRows } from './bench-table.ts';

const CONCURRENCY = Number(process.env.REGRESS_BENCH_CONCURRENCY ?? 0) || DEFAULT_CONCURRENCY;
const RELEASE_COUNT = 8;
/** How many times the gate and the matrix are measured (their median is the figure): REGRESS_BENCH_REPEAT. */
const REPEAT = Math.max(1, Number(process.env.REGRESS_BENCH_REPEAT ?? 3) || 3);
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);
const seconds = (ms: number) => Math.round(ms) / 1000;
const ratio = (a: number, b: number) => +(a / b).toFixed(2);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ROOT = resolve(dirname(new URL(import.meta.url).pathname), '..');

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const value = await work();
  return [value, performance.now() - started];
}

interface Measured {
  seconds: number;
  /** Every repetition's seconds, when measured more than once (the figure is their median). */
  runs?: number[];
  /** Share of the machine's CPU time the hypervisor gave to other guests meanwhile (/proc/stat "steal"). */
  hostStealPercent: number;
  cases: number;
  cpuSeconds: number;
  cpuPerCaseMs: number;
  peakMemory: MemoryPeak;
  errors: number;
  results: CaseResult[];
}

const python = await findPython();
const cache = new EnvironmentCache(python);
const scenarios = await loadScenarios();
const floorMs = Math.max(...scenarios.flatMap((s) => s.cases.map((c) => c.unavoidableWaitMs)));
const targets = (specs: string[]) => specs.map((s) => venvTarget(cache, parseClientSpec(s)));

/** Ticks of CPU time in all (/proc/stat's first line) and those stolen by the hypervisor for other guests. */
function hostSteal(): { steal: number; total: number } {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
    return { steal: fields[7] ?? 0, total: fields.reduce((a, b) => a + b, 0) };
  } catch {
    return { steal: 0, total: 0 };
  }
}

/**
 * The median of `times` sessions (by wall time), every repetition's seconds kept: a virtual machine's
 * neighbours move single runs by seconds (the same matrix took 11.7-15.7 s within an hour here).
 */
async function measureMedian(times: number, specs: string[], env: Record<string, string | undefined> = {}, repeat = true): Promise<Measured> {
  const all: Measured[] = [];
  for (let i = 0; i < times; i++) all.push(await measure(specs, env, repeat));
  const byTime = [...all].sort((a, b) => a.seconds - b.seconds);
  return { ...byTime[Math.floor(byTime.length / 2)]!, runs: all.map((m) => m.seconds) };
}

/**
 * One session from cold workers (as a fresh `regress run` has them), with its CPU and memory; with the leak
 * repetition (harness/soak/gate-repeat.ts) as `regress run` plans it unless `repeat` is false (--no-repeat).
 */
async function measure(specs: string[], env: Record<string, string | undefined> = {}, repeat = true): Promise<Measured> {
  await closeWorkers();
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  const memory = sampleMemory();
  const cpuBefore = treeCpuSeconds([memory.pid]);
  const stealBefore = hostSteal();
  try {
    const [outcome, ms] = await timed(() =>
      runSession(repeat ? withRepeats(planJobs(scenarios, targets(specs))) : planJobs(scenarios, targets(specs)), { concurrency: CONCURRENCY, reportRoot: null, command: 'bench' }),
    );
    const cpuSeconds = treeCpuSeconds([memory.pid]) - cpuBefore;
    const results = outcome.results;
    const stealAfter = hostSteal();
    return {
      seconds: seconds(ms),
      hostStealPercent: +((100 * (stealAfter.steal - stealBefore.steal)) / Math.max(1, stealAfter.total - stealBefore.total)).toFixed(1),
      cases: results.length,
      cpuSeconds: +cpuSeconds.toFixed(2),
      cpuPerCaseMs: Math.round((cpuSeconds * 1000) / Math.max(1, results.length)),
      peakMemory: await memory.stop(),
      errors: results.filter((r) => r.verdict === 'error').length,
      results,
    };
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** Run a command; resolve the milliseconds until `first` matches a line of its output (then it is killed), or its end. */
function until(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; first?: RegExp }): Promise<{ ms: number; code: number | null; tail: string }> {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { env: options.env ?? process.env, cwd: options.cwd ?? ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    let done = false;
    const onText = (text: string): void => {
      tail = (tail + text).slice(-3000);
      if (!done && options.first && text.split('\n').some((l) => options.first!.test(l))) {
        done = true;
        const ms = performance.now() - started;
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // gone
        }
        resolvePromise({ ms, code: null, tail });
      }
    };
    child.stdout.setEncoding('utf8').on('data', onText);
    child.stderr.setEncoding('utf8').on('data', onText);
    child.on('error', reject);
    child.on('exit', (code) => {
      if (!done) resolvePromise({ ms: performance.now() - started, code, tail });
    });
  });
}

// Warm the environments the gate and matrix use (both the plain ones and those with a scenario's extras),
// so they measure runs, not installs.
const releases = latestPerMinor(selectReleases(await listReleases('httpx'), { from: '0.10' }))
  .slice(-RELEASE_COUNT)
  .map((v) => `httpx==${v}`);
const gateSpec = 'httpx==0.28.1';
// The Python families' gate: every scenario against the newest release of each family (each client runs the
// scenarios its family covers), as a team gating all its HTTP clients at once runs it.
const familySpecs = await Promise.all(
  families().map(async (f) => {
    const newest = selectReleases(await listReleases(f.distribution), {}).filter((v) => satisfies(v, f.supported) && !interpreterReason(f, v, python.version)).at(-1);
    return `${f.distribution}==${newest}`;
  }),
);
log(`warming ${releases.length} releases' environments and the families' newest (${familySpecs.join(', ')})`);
await prepareClients(uniqueClients(planJobs(scenarios, targets([...new Set([gateSpec, ...releases, ...familySpecs])]))), {});

// An untimed session first: the first one of a process loads the fixtures' and certificates' libraries,
// which would otherwise be charged to whichever measurement runs first.
log('warm-up: one TLS case, untimed');
await runSession(planJobs(scenarios.filter((s) => s.meta.id === 'custom-ssl-context'), targets([gateSpec]), ['trusted-ca']), { concurrency: CONCURRENCY, reportRoot: null, command: 'bench warm-up' });

log(`gate: every scenario against ${gateSpec}`);
const gate = await measureMedian(REPEAT, [gateSpec]);
log(`gate: ${gate.seconds} s (median of ${gate.runs!.join(', ')}), ${gate.cpuPerCaseMs} ms CPU per case, host steal ${gate.hostStealPercent} %`);
log(`families gate: every scenario each family covers against ${familySpecs.join(', ')}`);
const familiesGate = await measureMedian(REPEAT, familySpecs);
log(`families gate: ${familiesGate.seconds} s (median of ${familiesGate.runs!.join(', ')}), ${familiesGate.cases} cases, host steal ${familiesGate.hostStealPercent} %`);
log('gate without the leak repetition (--no-repeat)');
const gateNoRepeat = await measureMedian(REPEAT, [gateSpec], {}, false);
log(`gate (--no-repeat): ${gateNoRepeat.seconds} s (median of ${gateNoRepeat.runs!.join(', ')})`);
log('gate with REGRESS_WORKER=0: a Python process per case, as before the warm worker');
const gateProcess = await measure([gateSpec], { REGRESS_WORKER: '0' });
log(`gate (process per case): ${gateProcess.seconds} s, ${gateProcess.cpuPerCaseMs} ms CPU per case`);
log(`matrix: every scenario × ${releases.length} releases (${releases[0]} … ${releases.at(-1)})`);
const matrix = await measureMedian(REPEAT, releases);
log(`matrix: ${matrix.seconds} s (median of ${matrix.runs!.join(', ')}), ${matrix.cpuPerCaseMs} ms CPU per case, host steal ${matrix.hostStealPercent} %`);
await closeWorkers();

// The peer, when uv can install nox into its own venv.
const uv = await cache.uv();
type Peer =
  | { skipped: string }
  | { releases: string[]; serialSeconds: number; xdistSeconds: number; oneReleaseXdistSeconds: number; firstVerdictSeconds: number; serialExit: number | null };
let peer: Peer;
const peerDir = join(cache.root, 'bench-peer');
const peerEnv = (extra: Record<string, string>): NodeJS.ProcessEnv => ({
  ...process.env,
  PATH: `${join(peerDir, 'venv', 'bin')}${delimiter}${uv && uv.includes('/') ? `${dirname(uv)}${delimiter}` : ''}${process.env.PATH}`,
  ...extra,
});
const noxfile = join(ROOT, 'bench', 'peer', 'noxfile.py');
const versions = releases.map((r) => r.replace('httpx==', ''));
if (process.env.REGRESS_BENCH_PEER === '0') peer = { skipped: 'REGRESS_BENCH_PEER=0' };
else if (!uv) peer = { skipped: 'no uv to install nox with (REGRESS_INSTALLER=pip?)' };
else {
  try {
    const nox = join(peerDir, 'venv', 'bin', 'nox');
    if (!existsSync(nox)) {
      log('peer: installing nox (with its uv) into a dedicated venv');
      await execa(uv, ['venv', '--quiet', '--python', python.path, join(peerDir, 'venv')]);
      await execa(uv, ['pip', 'install', '--quiet', '--python', join(peerDir, 'venv', 'bin', 'python'), 'nox[uv]']);
    }
    const envdir = join(peerDir, 'envs');
    log('peer: installing the sessions (not timed)');
    await execa(nox, ['-f', noxfile, '--envdir', envdir, '--install-only'], { env: peerEnv({ REGRESS_PEER_RELEASES: versions.join(' ') }) });
    log(`peer: nox over ${versions.length} releases, one session at a time`);
    const serial = await until(nox, ['-f', noxfile, '--envdir', envdir], { env: peerEnv({ REGRESS_PEER_RELEASES: versions.join(' ') }) });
    log(`peer: ${seconds(serial.ms)} s; again with pytest-xdist -n 4`);
    const xdist = await until(nox, ['-f', noxfile, '--envdir', envdir, '--', '-n', '4'], { env: peerEnv({ REGRESS_PEER_RELEASES: versions.join(' ') }) });
    log(`peer: ${seconds(xdist.ms)} s; one release (${versions.at(-1)}) with -n 4`);
    const one = await until(nox, ['-f', noxfile, '--envdir', envdir, '--', '-n', '4'], { env: peerEnv({ REGRESS_PEER_RELEASES: versions.at(-1)! }) });
    log('peer: first verdict for a release with no session yet (uv cache warm)');
    const freshEnvdir = await mkdtemp(join(tmpdir(), 'regress-bench-peer-'));
    const first = await until(nox, ['-f', noxfile, '--envdir', freshEnvdir, '--', '-v'], {
      env: peerEnv({ REGRESS_PEER_RELEASES: '0.27.2' }),
      first: /(PASSED|FAILED|ERROR)/,
    });
    await rm(freshEnvdir, { recursive: true, force: true });
    peer = {
      releases: versions,
      serialSeconds: seconds(serial.ms),
      xdistSeconds: seconds(xdist.ms),
      oneReleaseXdistSeconds: seconds(one.ms),
      firstVerdictSeconds: seconds(first.ms),
      serialExit: serial.code,
    };
  } catch (error) {
    peer = { skipped: `the peer could not run: ${(error as Error).message.split('\n')[0]}` };
  }
}
if ('skipped' in peer) log(`peer: skipped (${peer.skipped})`);

// First verdict for a new release with regress: the CLI from a cold start, an empty harness cache (uv's warm).
log('first verdict: regress, httpx==0.27.2 with an empty harness cache');
const firstRoot = await mkdtemp(join(tmpdir(), 'regress-bench-first-'));
const first = await until(process.execPath, [join(ROOT, 'bin', 'regress.js'), 'run', '--client', 'httpx==0.27.2', '--no-report'], {
  env: { ...process.env, REGRESS_CACHE_DIR: firstRoot, ...(uv && uv.includes('/') ? { PATH: `${dirname(uv)}${delimiter}${process.env.PATH}` } : {}) },
  first: /^\[1\/\d+\]/,
});
await rm(firstRoot, { recursive: true, force: true });

// Start-up: npx vs the bin started by Node directly.
log('start-up: npx regress list vs node bin/regress.js list (median of 5)');
const npxRuns: number[] = [];
const binRuns: number[] = [];
for (let i = 0; i < 5; i++) {
  npxRuns.push((await until('npx', ['regress', 'list'], {})).ms);
  binRuns.push((await until(process.execPath, [join(ROOT, 'bin', 'regress.js'), 'list'], {})).ms);
}

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

log('overhead: 10 empty client runs through the warm worker, 10 as their own process, 10 bare imports');
const program = join(coldRoot, 'empty_client.py');
await writeFile(program, 'import regress_compat as rc\n\nasync def scenario(ctx):\n    pass\n\nrc.main(scenario)\n');
const workerRuns: number[] = [];
const processRuns: number[] = [];
const bareRuns: number[] = [];
const worker = await workerFor(env.python, 'httpx');
for (let i = 0; i < 10; i++) {
  workerRuns.push((await timed(() => worker.run({ program, input: {}, timeLimitMs: 30_000, now: () => 0 })))[1]);
  processRuns.push((await timed(() => runClientProgram({ python: env.python, program, input: {}, family: 'httpx', timeLimitMs: 30_000, now: () => 0 })))[1]);
  bareRuns.push((await timed(() => execa(env.python, ['-c', 'import httpx, json, asyncio'])))[1]);
}
await closeWorkers();
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

// The catalogue at scale: last, it takes the longest (about 5 min for the full table and as much for its shards).
const table = process.env.REGRESS_BENCH_TABLE === '0' ? { skipped: 'REGRESS_BENCH_TABLE=0' } : await benchTable();

const peerFigures = 'skipped' in peer ? null : peer;
const figures = {
  machine: { cpus: cpus().length, node: process.version, python: python.version, platform: `${process.platform}-${process.arch}`, concurrency: CONCURRENCY },
  floorSeconds: seconds(floorMs),
  gate: { client: gateSpec, ...strip(gate), timesFloor: ratio(gate.seconds * 1000, floorMs), target: '≤ 1.3× floor with the leak repetition' },
  familiesGate: { clients: familySpecs, ...strip(familiesGate), timesFloor: ratio(familiesGate.seconds * 1000, floorMs), target: '≤ 1.3× floor with the leak repetition' },
  gateNoRepeat: { client: gateSpec, ...strip(gateNoRepeat), timesFloor: ratio(gateNoRepeat.seconds * 1000, floorMs), target: '≤ 1.2× floor' },
  gateProcessPerCase: { client: gateSpec, ...strip(gateProcess), timesFloor: ratio(gateProcess.seconds * 1000, floorMs) },
  cpuPerCaseHalved: gate.cpuPerCaseMs * 2 <= gateProcess.cpuPerCaseMs,
  matrix: { releases, ...strip(matrix), timesFloor: ratio(matrix.seconds * 1000, floorMs), target: '≤ 2× floor' },
  peer: peerFigures
    ? {
        ...peerFigures,
        regressOverNoxSerial: ratio(matrix.seconds, peerFigures.serialSeconds),
        regressOverNoxXdist: ratio(matrix.seconds, peerFigures.xdistSeconds),
        gateOverOneReleaseXdist: ratio(gate.seconds, peerFigures.oneReleaseXdistSeconds),
        targets: 'regress ÷ nox serial ≤ 0.1, ÷ xdist ≤ 0.2',
      }
    : peer,
  firstVerdict: {
    spec: 'httpx==0.27.2',
    regressSeconds: seconds(first.ms),
    ...(peerFigures ? { peerSeconds: peerFigures.firstVerdictSeconds, regressOverPeer: ratio(first.ms / 1000, peerFigures.firstVerdictSeconds) } : {}),
    target: '≤ the peer with uv',
  },
  startup: { npxMedianMs: Math.round(median(npxRuns)), binMedianMs: Math.round(median(binRuns)), command: 'list' },
  environment: { spec: spec.label, coldSeconds: seconds(coldMs), uvCacheWarmSeconds: seconds(uvWarmMs), cachedMs: +warmMs.toFixed(2) },
  perClientRun: {
    workerMedianMs: Math.round(median(workerRuns)),
    processMedianMs: Math.round(median(processRuns)),
    bareImportMedianMs: Math.round(median(bareRuns)),
  },
  container,
  table,
  verdictErrors: [...gate.results, ...familiesGate.results, ...gateNoRepeat.results, ...gateProcess.results, ...matrix.results].filter((r) => r.verdict === 'error').length,
  verdictsAgree: sameVerdicts(gate.results, gateProcess.results),
  measuredAt: new Date().toISOString(),
};

function strip(m: Measured): Omit<Measured, 'results'> {
  const { results: _, ...rest } = m;
  return rest;
}

function sameVerdicts(a: CaseResult[], b: CaseResult[]): boolean {
  const key = (r: CaseResult) => `${r.scenario}/${r.case}`;
  const verdicts = new Map(a.map((r) => [key(r), r.verdict]));
  return a.length === b.length && b.every((r) => verdicts.get(key(r)) === r.verdict);
}

const mem = (m: MemoryPeak) => `peak ${m.rssMb} MB RSS / ${m.pssMb} MB PSS over ${m.processes} processes`;
const rows: [string, string][] = [
  ['floor (longest unavoidable wait)', `${figures.floorSeconds} s`],
  [`gate: ${gate.cases} cases × 1 release, leak repetition included`, `${gate.seconds} s = ${figures.gate.timesFloor}× floor (target ≤ 1.3×); median of ${gate.runs!.join(' / ')} s; host steal ${gate.hostStealPercent} %`],
  [`families gate: ${familiesGate.cases} cases × ${familySpecs.length} families' newest`, `${familiesGate.seconds} s = ${figures.familiesGate.timesFloor}× floor (target ≤ 1.3×); median of ${familiesGate.runs!.join(' / ')} s; ${familySpecs.join(', ')}`],
  [`  without it (--no-repeat), ${gateNoRepeat.cases} cases`, `${gateNoRepeat.seconds} s = ${figures.gateNoRepeat.timesFloor}× floor (target ≤ 1.2×); median of ${gateNoRepeat.runs!.join(' / ')} s`],
  ['  CPU per case, warm worker', `${gate.cpuPerCaseMs} ms (${gate.cpuSeconds} s in all); ${mem(gate.peakMemory)}`],
  ['  CPU per case, a process per case', `${gateProcess.cpuPerCaseMs} ms (${gateProcess.cpuSeconds} s in all; ${gateProcess.seconds} s wall); ${mem(gateProcess.peakMemory)}`],
  ['  CPU per case halved', `${figures.cpuPerCaseHalved} (same verdicts both ways: ${figures.verdictsAgree})`],
  [`matrix: ${matrix.cases} cases × ${releases.length} releases`, `${matrix.seconds} s = ${figures.matrix.timesFloor}× floor (target ≤ 2×); median of ${matrix.runs!.join(' / ')} s; host steal ${matrix.hostStealPercent} %`],
  ['  CPU per case', `${matrix.cpuPerCaseMs} ms (${matrix.cpuSeconds} s in all); ${mem(matrix.peakMemory)}`],
  ...(peerFigures
    ? ([
        [`peer: nox, ${versions.length} releases, serial`, `${peerFigures.serialSeconds} s; regress ÷ peer = ${figures.peer && 'regressOverNoxSerial' in figures.peer ? figures.peer.regressOverNoxSerial : ''} (target ≤ 0.1)`],
        [`peer: nox, ${versions.length} releases, -n 4`, `${peerFigures.xdistSeconds} s; regress ÷ peer = ${figures.peer && 'regressOverNoxXdist' in figures.peer ? figures.peer.regressOverNoxXdist : ''} (target ≤ 0.2)`],
        ['peer: nox, 1 release, -n 4', `${peerFigures.oneReleaseXdistSeconds} s; gate ÷ peer = ${figures.peer && 'gateOverOneReleaseXdist' in figures.peer ? figures.peer.gateOverOneReleaseXdist : ''}`],
      ] as [string, string][])
    : ([['peer (nox)', `skipped: ${(peer as { skipped: string }).skipped}`]] as [string, string][])),
  ['first verdict, new release (uv cache warm)', `regress ${figures.firstVerdict.regressSeconds} s${peerFigures ? `, peer ${peerFigures.firstVerdictSeconds} s (target regress ≤ peer)` : ''}`],
  ['start-up: npx regress list / node bin/regress.js list', `${figures.startup.npxMedianMs} ms / ${figures.startup.binMedianMs} ms (median of 5)`],
  ['new environment, nothing cached', `${figures.environment.coldSeconds} s`],
  ['new environment, uv cache warm', `${figures.environment.uvCacheWarmSeconds} s`],
  ['cached environment (lookup)', `${figures.environment.cachedMs} ms`],
  ['empty client run: warm worker / own process / bare import', `${figures.perClientRun.workerMedianMs} / ${figures.perClientRun.processMedianMs} / ${figures.perClientRun.bareImportMedianMs} ms (median of 10)`],
  ...('skipped' in container
    ? ([['container runtime', `skipped: ${container.skipped}`]] as [string, string][])
    : ([
        [`container start (${container.image}, host network)`, `${container.startMs} ms`],
        ['container exec of python3 -c pass (median of 20)', `${container.execMedianMs} ms`],
      ] as [string, string][])),
  ...('skipped' in table ? ([['full table', `skipped: ${table.skipped}`]] as [string, string][]) : tableRows(table)),
  ['error verdicts during the bench', String(figures.verdictErrors)],
];
const width = Math.max(...rows.map(([k]) => k.length));
process.stdout.write(`${rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')}\n`);
await mkdir('reports', { recursive: true });
await writeFileWhole(join('reports', 'bench.json'), `${JSON.stringify(figures, null, 2)}\n`);
process.stderr.write('[bench] wrote reports/bench.json\n');
