// Issue 12's stability check: N consecutive 8-release matrices (every scenario × the newest release of the
// last 8 httpx minors) while two busy loops keep both cores loaded. For each run it records the error
// verdicts (none is allowed on these healthy releases: an error is the harness's failure, not the client's)
// and every verdict that differs from the first run's (at the default concurrency, 24 cases per core), and
// the time spent outside the cases: process start → first case, and last case → process exit, from the
// phase log (REGRESS_DEBUG=1). Usage: node scripts/stress-matrix.ts [runs=40]
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { execa } from 'execa';
import { latestPerMinor, listReleases, selectReleases } from '../harness/package-index.ts';

const runs = Number(process.argv[2] ?? 40);
const ROOT = join(import.meta.dirname, '..');
const releases = latestPerMinor(selectReleases(await listReleases('httpx'), { from: '0.10' })).slice(-8);
const busy = [0, 1].map(() => spawn('sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' }));
const stopBusy = () => busy.forEach((b) => b.kill('SIGKILL'));
process.on('exit', stopBusy);

const phaseAt = (stderr: string, name: string): number | null => {
  const m = stderr.match(new RegExp(`\\[regress \\+([\\d.]+) s\\] ${name}`));
  return m ? Number(m[1]) : null;
};

let errors = 0;
let worstOutside = 0;
// Verdicts must not depend on load or concurrency: every run is compared with the first.
let reference: Map<string, string> | null = null;
let flips = 0;
for (let i = 1; i <= runs; i++) {
  const started = performance.now();
  const run = await execa(process.execPath, [join(ROOT, 'bin', 'regress.js'), 'run', ...releases.flatMap((v) => ['-c', `httpx==${v}`]), '--json', '--no-report'], {
    cwd: ROOT, reject: false, env: { REGRESS_DEBUG: '1' }, timeout: 300_000,
  });
  const wall = (performance.now() - started) / 1000;
  const results = run.stdout ? (JSON.parse(run.stdout) as { results: { scenario: string; case: string; client: string; verdict: string; evidence: { reason: string } }[] }).results : [];
  const bad = results.filter((r) => r.verdict === 'error');
  const first = phaseAt(run.stderr, 'first case starts');
  const done = phaseAt(run.stderr, 'cases done');
  // Node's own start before performance.now()'s origin is not in the phase log: wall - (done - first) covers it.
  const outside = first !== null && done !== null ? wall - (done - first) : Number.NaN;
  errors += bad.length;
  const verdicts = new Map(results.map((r) => [`${r.scenario}/${r.case} × ${r.client}`, r.verdict]));
  reference ??= verdicts;
  const changed = [...verdicts].filter(([key, verdict]) => reference!.get(key) !== verdict);
  flips += changed.length;
  worstOutside = Math.max(worstOutside, Number.isNaN(outside) ? Infinity : outside);
  process.stdout.write(
    `run ${i}/${runs}: exit ${run.exitCode}, ${results.length} results, ${bad.length} error(s), wall ${wall.toFixed(1)} s, outside cases ${outside.toFixed(2)} s (first case at ${first} s)\n` +
      bad.map((r) => `  error ${r.scenario}/${r.case} × ${r.client}: ${r.evidence.reason}\n`).join('') +
      changed.map(([key, verdict]) => `  verdict changed: ${key}: ${reference!.get(key)} in run 1, ${verdict} now\n`).join(''),
  );
}
stopBusy();
process.stdout.write(`\n${runs} runs: ${errors} error verdict(s); ${flips} verdict(s) differing from run 1; most time outside cases ${worstOutside.toFixed(2)} s\n`);
process.exitCode = errors === 0 && flips === 0 && worstOutside <= 2 ? 0 : 1;
