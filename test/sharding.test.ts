// Sharding a matrix across CI runners: each runner runs `vitest run --shard=i/n --reporter=blob`, and one
// job merges the blobs into a single report (`vitest --merge-reports`). This runs that flow for real, on
// two scenarios, and checks the merged report holds every bucket's tests.
import { execa } from 'execa';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';

const root = join(import.meta.dirname, '..');
const vitest = (args: string[], env: Record<string, string> = {}) =>
  execa(process.execPath, [join(root, 'node_modules', 'vitest', 'vitest.mjs'), ...args], {
    cwd: root,
    reject: false,
    env: { REGRESS_SELFTEST_SCENARIOS: 'pool-exhaustion-after-close,pool-limits', ...env },
  });

test('two shards with the blob reporter merge into one report', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'regress-shards-'));
  try {
    for (const shard of ['1/2', '2/2']) {
      const run = await vitest(['run', 'test/selftest', `--shard=${shard}`, '--reporter=blob', `--outputFile=${join(dir, `blob-${shard.replace('/', '-')}.json`)}`]);
      expect(run.exitCode, run.stderr).toBe(0);
    }
    expect((await readdir(dir)).sort()).toEqual(['blob-1-2.json', 'blob-2-2.json']);
    const merged = join(dir, 'merged.xml');
    const merge = await vitest(['--merge-reports', dir, '--reporter=junit', `--outputFile=${merged}`]);
    expect(merge.exitCode, merge.stderr).toBe(0);
    const xml = await readFile(merged, 'utf8');
    for (const bucket of [1, 2, 3]) expect(xml).toContain(`test/selftest/bucket-${bucket}.test.ts`);
    expect(xml).toMatch(/reenter on httpx==0\.10\.1 is reproduced/);
    expect(xml).toMatch(/limits on httpx==0\.28\.1 is fixed/);
    expect(xml).toMatch(/failures="0"/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}, 180_000);
