// The catalogue at scale: `regress tables --shard K/N` on N runners, then `regress merge --write`, must
// write the same README tables, byte for byte, as one unsharded `regress tables --write`. Run for real on
// two scenarios and six urllib3 releases (66 cases, two of them reproduced on 2.3.0 and 2.4.0), in two
// copies of the checkout (--write edits the catalogue's READMEs; this one's must stay as they are).
import { execa } from 'execa';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';

const root = join(import.meta.dirname, '..');
const SELECTION = ['--scenario', 'urllib3-redirect-leaks', '--scenario', 'custom-ssl-context', '--family', 'urllib3', '--from', '2.3.0'];
const READMES = ['scenarios/urllib3-redirect-leaks/README.md', 'scenarios/custom-ssl-context/README.md'];
let work: string;

/** What a checkout needs to run the CLI; node_modules is shared. */
async function checkout(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  for (const entry of ['bin', 'harness', 'fixtures', 'certs', 'scenarios', 'families', 'package.json', 'README.md', 'tsconfig.json']) {
    await cp(join(root, entry), join(dir, entry), { recursive: true });
  }
  await symlink(join(root, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

const regress = (cwd: string, args: string[]) => execa(process.execPath, [join(cwd, 'bin', 'regress.js'), ...args], { cwd, reject: false });

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'regress-shard-merge-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

test('three tables shards merged write the README tables one unsharded run writes, byte for byte', { timeout: 600_000 }, async () => {
  const whole = await checkout(join(work, 'whole'));
  const sharded = await checkout(join(work, 'sharded'));
  const before = await Promise.all(READMES.map((f) => readFile(join(whole, f), 'utf8')));

  const unsharded = await regress(whole, ['tables', ...SELECTION, '--write', '--reports', join(work, 'whole-reports')]);
  expect(unsharded.exitCode, unsharded.stderr).toBe(0);

  const shardReports = join(work, 'shards');
  const plans = new Set<string>();
  for (const k of [1, 2, 3]) {
    const shard = await regress(sharded, ['tables', ...SELECTION, '--shard', `${k}/3`, '--reports', shardReports]);
    expect(shard.exitCode, shard.stderr).toBe(0);
    const line = /shard (\d)\/3 of plan ([0-9a-f]{16}): (\d+) of 66 cases/.exec(shard.stderr);
    expect(line?.[1]).toBe(String(k));
    plans.add(line![2]!);
  }
  // One plan on every runner; each shard's report names itself.
  expect(plans.size).toBe(1);
  expect((await readdir(shardReports)).map((d) => d.replace(/^.*-shard-/, 'shard-')).sort()).toEqual(['shard-1-of-3', 'shard-2-of-3', 'shard-3-of-3']);

  const out = join(work, 'merged');
  const merged = await regress(sharded, ['merge', shardReports, '--write', '--out', out]);
  expect(merged.exitCode, merged.stderr).toBe(0);
  expect(merged.stderr).toContain('66 of 66 cases');

  const written = await Promise.all(READMES.map((f) => readFile(join(whole, f), 'utf8')));
  const mergedReadmes = await Promise.all(READMES.map((f) => readFile(join(sharded, f), 'utf8')));
  // The unsharded run did write (and measured what this selection reproduces), and the merge wrote the same bytes.
  written.forEach((text, i) => expect(text).not.toBe(before[i]));
  expect(written[0]).toMatch(/\| urllib3 2\.4\.0 \| — \| ✅ fixed \| ✅ fixed \| ✅ fixed \| ❌ reproduced \|/);
  expect(Buffer.from(mergedReadmes.join('\0'))).toEqual(Buffer.from(written.join('\0')));

  // The merged report is a run's report: every case once, marked as the shards' join.
  const report = JSON.parse(await readFile(join(out, 'results.json'), 'utf8'));
  expect(report.results).toHaveLength(66);
  expect(new Set(report.results.map((r: { scenario: string; case: string; client: string }) => `${r.scenario}/${r.case}/${r.client}`)).size).toBe(66);
  expect(report.run.merged).toMatchObject({ kind: 'tables', count: 3, plan: [...plans][0] });
  for (const file of ['junit.xml', 'summary.md', 'report.html']) expect((await readFile(join(out, file), 'utf8')).length).toBeGreaterThan(0);

  // Two of three shards is refused in one line, exit 2, and writes nothing.
  const [first, second] = (await readdir(shardReports)).sort();
  const partial = await regress(sharded, ['merge', join(shardReports, first!), join(shardReports, second!), '--no-report']);
  expect(partial.exitCode).toBe(2);
  expect(partial.stderr.trim()).toMatch(/^regress: shard 3\/3 missing \(given: 1\/3, 2\/3\)$/);
});

test('run shards merged keep run\'s exit code: 1 for a reproduction, 0 when --known accepts it', { timeout: 300_000 }, async () => {
  const dir = join(work, 'run-shards');
  const clients = ['--client', 'urllib3==2.4.0', '--client', 'urllib3==2.5.0', '--scenario', 'urllib3-redirect-leaks', '--no-repeat'];
  const codes: number[] = [];
  for (const k of [1, 2]) {
    const shard = await regress(root, ['run', ...clients, '--shard', `${k}/2`, '--reports', dir]);
    expect(shard.stderr).toMatch(new RegExp(`shard ${k}/2 of plan [0-9a-f]{16}: \\d of 8 cases`));
    codes.push(shard.exitCode!);
  }
  // retry-redirect-0 reproduces on 2.4.0 only: the shard holding it exits 1, the other 0.
  expect(codes.sort()).toEqual([0, 1]);
  const merged = await regress(root, ['merge', dir, '--json', '--no-report']);
  expect(merged.exitCode, merged.stderr).toBe(1);
  const results = (JSON.parse(merged.stdout) as { results: { case: string; client: string; verdict: string }[] }).results;
  expect(results).toHaveLength(8);
  expect(results.filter((r) => r.verdict === 'reproduced').map((r) => `${r.case} × ${r.client}`)).toEqual(['retry-redirect-0 × urllib3==2.4.0']);
  const known = join(work, 'known.json');
  await writeFile(known, JSON.stringify({ known: [{ scenario: 'urllib3-redirect-leaks', case: 'retry-redirect-0', client: 'urllib3<2.5', why: 'accepted until the bump' }] }));
  const accepted = await regress(root, ['merge', dir, '--known', known, '--no-report']);
  expect(accepted.exitCode, accepted.stderr).toBe(0);
  expect(accepted.stdout).toContain('known: urllib3-redirect-leaks/retry-redirect-0 × urllib3==2.4.0 reproduced (accepted: accepted until the bump)');
  // A tables merge option on run shards is bad input, one line.
  const wrong = await regress(root, ['merge', dir, '--write', '--no-report']);
  expect(wrong.exitCode).toBe(2);
  expect(wrong.stderr.trim()).toBe('regress: --write writes the tables of `tables` shards; these are shards of `run`');
});
