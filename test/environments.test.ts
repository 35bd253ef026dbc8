// The environment cache under concurrent use, and the venv + pip fallback.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { EnvironmentCache, findPython } from '../harness/runtime/python-env.ts';
import { parseClientSpec } from '../harness/spec.ts';

const root = await mkdtemp(join(tmpdir(), 'regress-cache-test-'));
afterAll(() => rm(root, { recursive: true, force: true }));

test('two runs building the same environment at once share one, and leave no half-built copy', async () => {
  const python = await findPython();
  const spec = parseClientSpec('httpx==0.28.1');
  // Two caches stand for two processes: nothing is shared in memory.
  const [a, b] = await Promise.all([new EnvironmentCache(python, root).ensure(spec), new EnvironmentCache(python, root).ensure(spec)]);
  expect(a.dir).toBe(b.dir);
  expect(a.installed.packages.httpx).toBe('0.28.1');
  const entries = await readdir(join(root, 'envs'));
  expect(entries.filter((e) => e.startsWith('.building-'))).toEqual([]);
  expect(entries).toHaveLength(1);
  const again = await new EnvironmentCache(python, root).ensure(spec);
  expect(again.created).toBe(false);
});

test('venv + pip is the fallback installer', async () => {
  process.env.REGRESS_INSTALLER = 'pip';
  try {
    const env = await new EnvironmentCache(await findPython(), root).ensure(parseClientSpec('httpx==0.27.2'));
    const manifest = JSON.parse(await readFile(join(env.dir, 'regress-env.json'), 'utf8'));
    expect(manifest.installer).toBe('pip');
    expect(env.installed.packages.httpx).toBe('0.27.2');
  } finally {
    delete process.env.REGRESS_INSTALLER;
  }
}, 180_000);
