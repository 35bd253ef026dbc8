// Reliability defects of issue 17: each test runs the harness the way the user met the defect and checks
// what the fix promises (a full disk hides nothing, one Ctrl-C is one Ctrl-C, broken caches are rebuilt,
// nothing a case starts outlives the run, bad input is one line).
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import type { CaseResult } from '../harness/types.ts';

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
    const files = await readdir(join(kept, runId!));
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
      import { writeFileWhole } from ${JSON.stringify(join(repo, 'harness/report/atomic-file.ts'))};
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
