// Reliability defects of issue 17: each test runs the harness the way the user met the defect and checks
// what the fix promises (a full disk hides nothing, one Ctrl-C is one Ctrl-C, broken caches are rebuilt,
// nothing a case starts outlives the run, bad input is one line).
import { execa } from 'execa';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import type { CaseResult } from '../harness/types.ts';
import { containerReadiness } from './support/container-readiness.ts';
import { freshCache } from './support/fresh-cache.ts';

const repo = join(import.meta.dirname, '..');
const entry = join(repo, 'bin', 'regress.js');
const scratch = await mkdtemp(join(tmpdir(), 'regress-reliability-2-'));
afterAll(() => rm(scratch, { recursive: true, force: true }));

/**
 * Run a command in a private mount namespace with a tmpfs of `size` on `dir` (root: plain unshare; else a
 * user namespace), then copy what it left there to `keep` (the mount goes with the namespace).
 */
function withSmallDisk(dir: string, size: string, argv: string[], keep?: string) {
  const ns = process.getuid?.() === 0 ? ['--mount'] : ['--mount', '--map-root-user'];
  const script = 'mount -t tmpfs -o size="$1" tmpfs "$2" || exit 99; dir=$2 keep=$3; shift 3; "$@"; rc=$?; [ -z "$keep" ] || cp -a "$dir/." "$keep/"; exit $rc';
  return execa('unshare', [...ns, '--propagation', 'private', 'sh', '-c', script, 'sh', size, dir, keep ?? '', ...argv], { cwd: repo, reject: false });
}

/** Can this machine mount a tmpfs in a private namespace? In CI it must (the test may not skip there). */
async function canMountTmpfs(): Promise<string | null> {
  const probe = join(scratch, 'probe');
  await mkdir(probe, { recursive: true });
  const { exitCode, stderr } = await withSmallDisk(probe, '16k', ['true']);
  return exitCode === 0 ? null : `cannot mount a tmpfs in a private mount namespace: ${stderr.trim()}`;
}
const noTmpfs = await canMountTmpfs();
if (noTmpfs && process.env.CI === 'true') throw new Error(`CI=true: ${noTmpfs}`);
if (noTmpfs) console.warn(`skipping the full-disk tests: ${noTmpfs}`);

describe.skipIf(Boolean(noTmpfs))('a full reports disk hides no reproduction', () => {
  // stream-double-cancel reproduces on httpx 0.28.1 (open upstream): both cases, about 4 s.
  const RUN = ['run', '--client', 'httpx==0.28.1', '--scenario', 'stream-double-cancel'];

  test.for([['the verdict table'], ['--json']] as const)('%s: verdicts printed, exit 1, one line for the report, nothing truncated', { timeout: 180_000 }, async ([mode]) => {
    const reports = join(scratch, `full-${mode.replace(/\W/g, '')}`);
    await mkdir(reports, { recursive: true });
    // 32 kB: the first results.json (about 20 kB) fits, the final report (about 70 kB) cannot.
    const json = mode === '--json' ? ['--json'] : [];
    const kept = join(scratch, `kept-${mode.replace(/\W/g, '')}`);
    await mkdir(kept, { recursive: true });
    const { exitCode, stdout, stderr } = await withSmallDisk(reports, '32k', [process.execPath, entry, ...RUN, '--reports', reports, ...json], kept);
    if (json.length) {
      const results: CaseResult[] = JSON.parse(stdout).results;
      expect(results.map((r) => r.verdict), stderr).toEqual(['reproduced', 'reproduced']);
    } else {
      expect(stdout, stderr).toMatch(/stream-double-cancel\/double-cancel\s+reproduced/);
      expect(stdout).toMatch(/2 result\(s\): 2 reproduced/);
    }
    expect(stderr).not.toMatch(/internal error/);
    const problems = stderr.split('\n').filter((l) => l.startsWith('regress:'));
    expect(problems, stderr).toEqual([expect.stringMatching(/^regress: report not written to .*: ENOSPC, /)]);
    expect(stderr).not.toMatch(/^report: /m);
    expect(exitCode, stderr).toBe(1);
    // What the full disk holds: whole files only (each parses, or ends as its format ends), no temporary files.
    const [runId, ...others] = await readdir(kept);
    expect(others).toEqual([]);
    const files = runId ? await readdir(join(kept, runId)) : [];
    expect(files.filter((f) => f.startsWith('.') || f.endsWith('.tmp'))).toEqual([]);
    const complete: Record<string, (text: string) => boolean> = {
      'results.json': (t) => Array.isArray(JSON.parse(t).results),
      'junit.xml': (t) => t.trimEnd().endsWith('</testsuites>'),
      'report.html': (t) => t.trimEnd().endsWith('</html>'),
      'summary.md': (t) => t.length > 0,
    };
    for (const f of files) expect(complete[f]!(await readFile(join(kept, runId!, f), 'utf8')), f).toBe(true);
    // The disk was really full: not every format could be written.
    expect(files.length).toBeLessThan(4);
  });

  test('a file that does not fit is never renamed into place, and no temporary file is left', { timeout: 60_000 }, async () => {
    const dir = join(scratch, 'whole');
    await mkdir(dir, { recursive: true });
    // Inside the namespace: write 20 kB (fits), then 40 kB over it (does not), then list what is there.
    const script = `
      import { readdirSync, readFileSync } from 'node:fs';
      import { writeFileWhole } from ${JSON.stringify(join(repo, 'harness/atomic-file.ts'))};
      const dir = ${JSON.stringify(dir)};
      await writeFileWhole(dir + '/report.html', 'a'.repeat(20_000));
      let error = null;
      try { await writeFileWhole(dir + '/report.html', 'b'.repeat(40_000)); } catch (e) { error = e.code; }
      let other = null;
      try { await writeFileWhole(dir + '/junit.xml', 'c'.repeat(40_000)); } catch (e) { other = e.code; }
      console.log(JSON.stringify({ error, other, files: readdirSync(dir).sort(), report: readFileSync(dir + '/report.html', 'utf8').length }));
    `;
    const { stdout, stderr, exitCode } = await withSmallDisk(dir, '32k', [process.execPath, '--input-type=module', '-e', script]);
    expect(exitCode, stderr).toBe(0);
    expect(JSON.parse(stdout)).toEqual({ error: 'ENOSPC', other: 'ENOSPC', files: ['report.html'], report: 20_000 });
  });
});

/** A `node` older than the project's (Node 20 on this machine): the launcher then relays to the project's own. */
async function olderNode(): Promise<string | null> {
  for (const candidate of ['/usr/bin/node', '/usr/local/bin/node', '/bin/node']) {
    if (!existsSync(candidate)) continue;
    const { stdout, exitCode } = await execa(candidate, ['-p', 'process.versions.node'], { reject: false });
    const [major, minor] = stdout.trim().split('.').map(Number);
    if (exitCode === 0 && (major! < 22 || (major === 22 && minor! < 18))) return candidate;
  }
  return null;
}
const oldNode = await olderNode();
// In CI the machine has Debian's node (20) beside the project's: the relay must be tested there.
if (!oldNode && process.env.CI === 'true') throw new Error('CI=true: no node older than 22.18 at /usr/bin, /usr/local/bin or /bin for the launcher relay test');
if (!oldNode) console.warn('skipping the launcher relay test: no node older than 22.18 at /usr/bin, /usr/local/bin or /bin');

describe.skipIf(!oldNode)('Ctrl-C through `node bin/regress.js` with an older node on PATH', () => {
  test('a terminal Ctrl-C (to the whole foreground process group) is one Ctrl-C: report kept, exit 1 for the reproductions, no key folder left', { timeout: 240_000 }, async () => {
    const reports = join(scratch, 'relay-reports');
    // A private TMPDIR, so the run root holds only this run's key folders (the machine is shared).
    const tmp = join(scratch, 'relay-tmp');
    await mkdir(tmp, { recursive: true });
    // stream-double-cancel reproduces in about 3 s; a project scenario whose client sleeps (until its 30 s
    // time limit) is certainly still running then, however loaded the machine; custom-ssl-context makes keys.
    const project = join(scratch, 'relay-project');
    await mkdir(project, { recursive: true });
    const made = await execa(process.execPath, [entry, 'new', 'sleeps', '--dir', join(project, 'scenarios')], { cwd: project, reject: false });
    expect(made.exitCode, made.stderr).toBe(0);
    const client = join(project, 'scenarios', 'sleeps', 'clients', 'httpx.py');
    await writeFile(client, (await readFile(client, 'utf8')).replace('import regress_compat as rc\n', 'import regress_compat as rc\nimport time\ntime.sleep(120)\n'));
    const args = ['run', '--client', 'httpx==0.28.1', '--scenarios', join(project, 'scenarios'), '--scenario', 'stream-double-cancel', '--scenario', 'sleeps', '--scenario', 'custom-ssl-context', '--reports', reports];
    // Its own process group, as a shell gives a foreground job: the terminal's SIGINT goes to the group.
    const child = execa(oldNode!, [entry, ...args], { cwd: repo, detached: true, reject: false, env: { TMPDIR: tmp } });
    const reproducedSoFar = async (): Promise<number> => {
      try {
        const [runId] = await readdir(reports);
        const { results } = JSON.parse(await readFile(join(reports, runId!, 'results.json'), 'utf8'));
        return results.filter((r: CaseResult) => r.verdict === 'reproduced').length;
      } catch {
        return 0;
      }
    };
    const deadline = Date.now() + 150_000;
    while (Date.now() < deadline && (await reproducedSoFar()) < 2) await new Promise((r) => setTimeout(r, 100));
    expect(await reproducedSoFar()).toBe(2);
    process.kill(-child.pid!, 'SIGINT');
    const { exitCode, stderr } = await child;
    expect(stderr.match(/regress: interrupted/g), String(stderr)).toHaveLength(1);
    expect(exitCode, String(stderr)).toBe(1);
    const [runId] = await readdir(reports);
    const dir = join(reports, runId!);
    expect((await readdir(dir)).sort()).toEqual(['junit.xml', 'report.html', 'results.json', 'summary.md']);
    const { run, results } = JSON.parse(await readFile(join(dir, 'results.json'), 'utf8'));
    expect(run.interrupted).toBe(true);
    expect(results.filter((r: CaseResult) => r.verdict === 'reproduced')).toHaveLength(2);
    const runRoot = join(tmp, `regress-run-${process.getuid?.() ?? 'user'}`);
    expect((await readdir(runRoot).catch(() => [] as string[])).filter((e) => e.startsWith('certs-'))).toEqual([]);
    // The sleeping client was stopped with the run.
    const { stdout: processes } = await execa('ps', ['-eo', 'args'], { reject: false });
    expect(processes).not.toContain(client);
  });

  test('Ctrl-Z stops the harness with the launcher (it is in a process group of its own), and it goes on with it', { timeout: 120_000 }, async () => {
    const state = async (pid: number): Promise<string> => (await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')).replace(/^.*\) /s, '').charAt(0);
    // A case with a 6 s idle gap: the harness is certainly running when it is stopped, and a pause well under
    // the starved-fixture threshold leaves its verdict alone.
    const launcher = execa(oldNode!, [entry, 'run', '--client', 'httpx==0.28.1', '-s', 'keepalive-expiry', '--case', 'idle-gap', '--no-repeat', '--no-report'], { cwd: repo, reject: false });
    let harness = 0;
    for (let i = 0; i < 300 && !harness; i += 1) {
      const { stdout: children } = await execa('pgrep', ['-P', String(launcher.pid)], { reject: false });
      harness = Number(children.trim().split(/\s+/)[0]) || 0;
      if (!harness) await new Promise((r) => setTimeout(r, 10));
    }
    expect(harness, 'the launcher started the harness').toBeGreaterThan(0);
    launcher.kill('SIGTSTP');
    let stopped = '';
    for (let i = 0; i < 100 && stopped !== 'T'; i += 1) {
      await new Promise((r) => setTimeout(r, 20));
      stopped = await state(harness);
    }
    expect(stopped, 'the harness is stopped with the launcher').toBe('T');
    expect(await state(launcher.pid!)).toBe('T');
    launcher.kill('SIGCONT');
    const { exitCode, stdout, stderr } = await launcher;
    expect(stdout, stderr).toMatch(/keepalive-expiry\/idle-gap\s+fixed/);
    expect(exitCode).toBe(0);
  });
});

describe('a damaged cache is verified at use and rebuilt, and the folder is named', () => {
  const POOL_LIMITS = ['run', '--client', 'httpx==0.28.1', '--scenario', 'pool-limits', '--no-report', '--json'];
  const regress = (env: Record<string, string>) => execa(process.execPath, [entry, ...POOL_LIMITS], { cwd: repo, env, reject: false });

  test.for([['warm worker', '1'], ['a process per case', '0']] as const)('%s: a file deleted from site-packages: rebuilt, fixed, the folder named', { timeout: 240_000 }, async ([, worker]) => {
    const cache = await freshCache(scratch, `damaged-${worker}`);
    const env = { REGRESS_CACHE_DIR: cache, REGRESS_WORKER: worker };
    const first = await regress(env);
    expect(JSON.parse(first.stdout).results.map((r: CaseResult) => r.verdict), first.stderr).toEqual(['fixed']);
    const [envDir] = (await readdir(join(cache, 'envs'))).filter((e) => e.startsWith('httpx-0.28.1'));
    const [pythonDir] = await readdir(join(cache, 'envs', envDir!, 'lib'));
    await rm(join(cache, 'envs', envDir!, 'lib', pythonDir!, 'site-packages', 'httpx', '_client.py'));

    const second = await regress(env);
    expect(JSON.parse(second.stdout).results.map((r: CaseResult) => r.verdict), second.stderr).toEqual(['fixed']);
    expect(second.stderr).toContain(`the cached environment ${join(cache, 'envs', envDir!)} is damaged (httpx/_client.py is missing); rebuilding it`);
    expect(second.exitCode).toBe(0);
    // Rebuilt in place, and the next run takes it from the cache without a word.
    expect(existsSync(join(cache, 'envs', envDir!, 'lib', pythonDir!, 'site-packages', 'httpx', '_client.py'))).toBe(true);
    const third = await regress(env);
    expect(third.stderr).not.toMatch(/damaged/);
    expect(third.stderr).toMatch(/cached/);
    expect(third.exitCode).toBe(0);
  });

  test('a 0-byte bootstrapped uv is bootstrapped again, not blamed on the spec', { timeout: 400_000 }, async () => {
    const cache = join(scratch, 'zero-uv');
    await mkdir(join(cache, 'tools', 'uv', 'bin'), { recursive: true });
    await writeFile(join(cache, 'tools', 'uv', 'bin', 'uv'), '');
    await chmod(join(cache, 'tools', 'uv', 'bin', 'uv'), 0o755);
    const path = (process.env.PATH ?? '').split(delimiter).filter((d) => d && !existsSync(join(d, 'uv'))).join(delimiter);
    const { stdout, stderr, exitCode } = await regress({ REGRESS_CACHE_DIR: cache, PATH: path });
    expect(stderr).toContain(`the bootstrapped uv ${join(cache, 'tools', 'uv', 'bin', 'uv')} does not run`);
    expect(stderr).not.toMatch(/cannot install/);
    expect(JSON.parse(stdout).results.map((r: CaseResult) => r.verdict), stderr).toEqual(['fixed']);
    expect(exitCode).toBe(0);
    const { exitCode: runs } = await execa(join(cache, 'tools', 'uv', 'bin', 'uv'), ['--version'], { reject: false });
    expect(runs).toBe(0);
  });
});

describe('nothing a case starts outlives the run, or a harness that dies', () => {
  /** Alive, and not a zombie waiting for its reaper. */
  const alive = (pid: number): boolean => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
    } catch {
      return false;
    }
  };
  const pidIn = async (file: string): Promise<number | null> => {
    const text = await readFile(file, 'utf8').catch(() => '');
    return /^\d+$/.test(text) ? Number(text) : null;
  };
  const waitFor = async (check: () => Promise<boolean> | boolean, ms: number): Promise<boolean> => {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      if (await check()) return true;
      await new Promise((r) => setTimeout(r, 100));
    }
    return check();
  };

  /**
   * A project scenario (`regress new`) whose client.py first forks a daemon (fork, setsid, fork: it leaves
   * the case's process group and session) that records its pid and sleeps ten minutes; with `hang`, the
   * client then records its own pid and never ends.
   */
  async function daemonScenario(name: string, hang: boolean): Promise<{ folder: string; marks: string }> {
    const root = join(scratch, name);
    const marks = join(root, 'marks');
    await mkdir(marks, { recursive: true });
    const made = await execa(process.execPath, [entry, 'new', 'leaves-a-daemon', '--dir', join(root, 'scenarios')], { cwd: root, reject: false });
    expect(made.exitCode, made.stderr).toBe(0);
    const client = join(root, 'scenarios', 'leaves-a-daemon', 'clients', 'httpx.py');
    const original = await readFile(client, 'utf8');
    const prelude = `import os, time
MARKS = ${JSON.stringify(marks)}
_first = os.fork()
if _first == 0:
    os.setsid()
    if os.fork() == 0:
        with open(os.path.join(MARKS, "daemon.tmp"), "w") as f:
            f.write(str(os.getpid()))
        os.rename(os.path.join(MARKS, "daemon.tmp"), os.path.join(MARKS, "daemon.pid"))
        time.sleep(600)
    os._exit(0)
os.waitpid(_first, 0)
${hang ? `with open(os.path.join(MARKS, "client.tmp"), "w") as f:
    f.write(str(os.getpid()))
os.rename(os.path.join(MARKS, "client.tmp"), os.path.join(MARKS, "client.pid"))
time.sleep(600)
` : ''}`;
    await writeFile(client, original.replace('import regress_compat as rc\n', `import regress_compat as rc\n${prelude}`));
    return { folder: join(root, 'scenarios'), marks };
  }

  const run = (folder: string, worker: string) =>
    // --no-repeat: the case's own process is what must be reaped here (the leak repetition runs client.py in
    // the same case scope, and is tested in gate-repeat.test.ts).
    execa(process.execPath, [entry, 'run', '--client', 'httpx==0.28.1', '--scenarios', folder, '--scenario', 'leaves-a-daemon', '--no-report', '--no-repeat'], {
      cwd: repo,
      reject: false,
      env: { REGRESS_WORKER: worker },
    });

  test.for([['warm worker', '1'], ['a process per case', '0']] as const)('%s: a daemon client.py forks with setsid is gone when the run ends', { timeout: 180_000 }, async ([, worker]) => {
    const { folder, marks } = await daemonScenario(`daemon-${worker}`, false);
    // Bounded: before the fix a process per case also waited for the daemon, which held its stdout open.
    const child = run(folder, worker);
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    const { exitCode, stdout, stderr } = await child;
    clearTimeout(timer);
    const daemon = await pidIn(join(marks, 'daemon.pid'));
    try {
      expect(stdout, stderr).toMatch(/leaves-a-daemon\/reuse\s+fixed/);
      expect(exitCode, `${stdout}\n${stderr}`).toBe(0);
      expect(daemon, 'the daemon recorded its pid').not.toBeNull();
      expect(await waitFor(() => !alive(daemon!), 3000), `daemon ${daemon} still running after the run`).toBe(true);
    } finally {
      if (daemon && alive(daemon)) process.kill(daemon, 'SIGKILL');
    }
  });

  test.for([['warm worker', '1'], ['a process per case', '0']] as const)('%s: a SIGKILLed harness takes its hanging case and the case\'s daemon with it', { timeout: 180_000 }, async ([, worker]) => {
    const { folder, marks } = await daemonScenario(`hang-${worker}`, true);
    const child = run(folder, worker);
    const started = await waitFor(async () => (await pidIn(join(marks, 'client.pid'))) !== null && (await pidIn(join(marks, 'daemon.pid'))) !== null, 120_000);
    expect(started).toBe(true);
    const client = (await pidIn(join(marks, 'client.pid')))!;
    const daemon = (await pidIn(join(marks, 'daemon.pid')))!;
    child.kill('SIGKILL');
    await child;
    try {
      // The case's time limit is 30 s: gone within 5 s of the harness is the harness's doing, not the limit's.
      expect(await waitFor(() => !alive(client), 5000), `case ${client} still running`).toBe(true);
      expect(await waitFor(() => !alive(daemon), 5000), `daemon ${daemon} still running`).toBe(true);
    } finally {
      for (const pid of [client, daemon]) if (alive(pid)) process.kill(pid, 'SIGKILL');
    }
  });
});

describe('a project scenario.ts that never finishes loading is named, not waited for', () => {
  test.for([
    ['a loop at import', 'while (true) {}\n', /did not finish loading within 4 s/],
    ['a top-level await that never settles', 'await new Promise(() => undefined);\n', /did not finish loading within 4 s/],
  ] as const)('%s: list and run exit 2 with one line naming the folder', { timeout: 120_000 }, async ([name, code, message]) => {
    const root = join(scratch, `hang-load-${name.length}`);
    await mkdir(root, { recursive: true });
    const made = await execa(process.execPath, [entry, 'new', 'loops-at-import', '--dir', join(root, 'scenarios')], { cwd: root, reject: false });
    expect(made.exitCode, made.stderr).toBe(0);
    const folder = join(root, 'scenarios', 'loops-at-import');
    await writeFile(join(folder, 'scenario.ts'), `${await readFile(join(folder, 'scenario.ts'), 'utf8')}\n${code}`);
    for (const command of [['list'], ['run', '--client', 'httpx==0.28.1', '--no-report']]) {
      const started = performance.now();
      const child = execa(process.execPath, [entry, ...command, '--scenarios', join(root, 'scenarios')], { cwd: root, reject: false, env: { REGRESS_SCENARIO_LOAD_MS: '4000' } });
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      const { exitCode, stderr, stdout } = await child;
      clearTimeout(timer);
      const problems = stderr.split('\n').filter((l) => l.trim() && !l.startsWith('['));
      expect(problems, `${command[0]}: ${stderr}`).toEqual([expect.stringMatching(message)]);
      expect(problems[0]).toContain(folder);
      expect(stdout).toBe('');
      expect(exitCode, command[0]).toBe(2);
      expect(performance.now() - started).toBeLessThan(40_000);
    }
  });
});

describe('a client that prints 100 MB', () => {
  async function loudScenario(name: string, after: string): Promise<string> {
    const root = join(scratch, name);
    await mkdir(root, { recursive: true });
    const made = await execa(process.execPath, [entry, 'new', 'prints-a-lot', '--dir', join(root, 'scenarios')], { cwd: root, reject: false });
    expect(made.exitCode, made.stderr).toBe(0);
    const client = join(root, 'scenarios', 'prints-a-lot', 'clients', 'httpx.py');
    const prelude = `import sys\nsys.stdout.write(("x" * 1023 + "\\n") * 100 * 1024)\nsys.stdout.flush()\n${after}`;
    await writeFile(client, (await readFile(client, 'utf8')).replace('import regress_compat as rc\n', `import regress_compat as rc\n${prelude}`));
    return join(root, 'scenarios');
  }
  const run = (folder: string, worker: string) =>
    execa(process.execPath, [entry, 'run', '--client', 'httpx==0.28.1', '--scenarios', folder, '--scenario', 'prints-a-lot', '--no-report', '--json'], { cwd: repo, reject: false, env: { REGRESS_WORKER: worker } });

  test.for([['warm worker', '1'], ['a process per case', '0']] as const)('%s: then its result line: judged by it', { timeout: 180_000 }, async ([, worker]) => {
    const folder = await loudScenario(`loud-${worker}`, '');
    const { stdout, stderr, exitCode } = await run(folder, worker);
    const [result] = JSON.parse(stdout).results as CaseResult[];
    expect([result!.verdict, result!.evidence.reason], stderr).toEqual(['fixed', expect.stringMatching(/^3 sequential requests arrived on 1 connection/)]);
    expect(exitCode).toBe(0);
  });

  test.for([['warm worker', '1'], ['a process per case', '0']] as const)('%s: and no result line: the reason says how much it printed', { timeout: 180_000 }, async ([, worker]) => {
    const folder = await loudScenario(`loud-silent-${worker}`, 'sys.exit(3)\n');
    const { stdout, stderr } = await run(folder, worker);
    const [result] = JSON.parse(stdout).results as CaseResult[];
    expect(result!.verdict, stderr).toBe('error');
    expect(result!.evidence.reason).toMatch(/no REGRESS-RESULT line on stdout \(the client printed 100\.0 MB on stdout; only the last 16 MB are kept, the result line must come last\); exit code 3\): nothing on stderr$/);
  });
});

test('after Ctrl-C, a preparation that ignores the stop and a release that never ends keep neither the report nor the exit waiting', { timeout: 120_000 }, async () => {
  // A session whose client never gets prepared and whose resources are never released, as a container
  // build's engine connection once was: the interrupted run writes its report, then the process must end.
  const reports = join(scratch, 'stuck-reports');
  const script = `
    import { runSession } from ${JSON.stringify(join(repo, 'harness/session.ts'))};
    import { planJobs } from ${JSON.stringify(join(repo, 'harness/runner.ts'))};
    import { loadScenarios, selectScenarios } from ${JSON.stringify(join(repo, 'harness/scenarios.ts'))};
    const scenarios = selectScenarios(await loadScenarios(), ['pool-limits']);
    const target = { label: 'never-ready', prepare: () => new Promise(() => { setInterval(() => undefined, 1000); }) };
    const started = runSession(planJobs(scenarios, [target]), {
      concurrency: 1, reportRoot: ${JSON.stringify(reports)}, command: 'test',
      dispose: () => new Promise(() => { setInterval(() => undefined, 1000); }),
    });
    console.log('running');
    await started;
  `;
  const child = execa(process.execPath, ['--input-type=module', '-e', script], { cwd: repo, reject: false });
  let seen = '';
  child.stdout!.on('data', (chunk: Buffer) => (seen += chunk.toString()));
  for (let i = 0; i < 300 && !seen.includes('running'); i++) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 500));
  const sent = performance.now();
  child.kill('SIGINT');
  const killer = setTimeout(() => child.kill('SIGKILL'), 75_000);
  const { exitCode, stderr } = await child;
  clearTimeout(killer);
  expect(exitCode, stderr).toBe(130);
  expect(stderr).toMatch(/still running 15 s after the interrupted run ended; exiting/);
  // 15 s for the run to stop (it never does), then 15 s for the rest (the release never ends).
  expect(performance.now() - sent).toBeLessThan(60_000);
  const [runId] = await readdir(reports);
  expect(JSON.parse(await readFile(join(reports, runId!, 'results.json'), 'utf8')).run.interrupted).toBe(true);
});

describe('container bad input is one line', () => {
  const APP = 'regress/app-python3-httpx:bookworm';
  const readiness = containerReadiness([APP]);
  const refuse = (args: string[]) =>
    execa(process.execPath, [entry, 'run', '--runtime', 'container', ...args, '--scenario', 'pool-limits', '--no-report'], { cwd: repo, reject: false });
  const problemLines = (stderr: string) => stderr.split('\n').filter((l) => l.trim() && !l.startsWith('['));

  test.for([['Bad Name!!'], ['UPPER/case:1'], ['a..b'], ['x:']] as const)('--image %j: exit 2, one line, no case run', { timeout: 60_000 }, async ([image]) => {
    const { exitCode, stderr, stdout } = await refuse(['--image', image]);
    expect(problemLines(stderr)).toEqual([`regress: --image '${image}' is not an image name (such as regress/app-python3-httpx:bookworm or registry.example/team/app:1.2; repository names are lower-case, no spaces)`]);
    expect(stdout).toBe('');
    expect(exitCode).toBe(2);
  });

  test('--image-python perl: exit 2, one line saying it is not Python', { timeout: 120_000 }, async ({ skip }) => {
    (await readiness).requireReady(skip);
    const { exitCode, stderr, stdout } = await refuse(['--image', APP, '--image-python', 'perl']);
    expect(problemLines(stderr)).toEqual([`regress: 'perl' in image ${APP} is not a Python 3 interpreter; name the image's Python with --image-python`]);
    expect(stderr).not.toMatch(/File name too long/);
    expect(stdout).toBe('');
    expect(exitCode).toBe(2);
  });
});
