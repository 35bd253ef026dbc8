// No released httpx or httpx2 is fixed for h2-stream-slots (encode/httpcore#943), so the self-test can only
// assert `reproduced`. This test shows the judge also says `fixed`, on a real build: httpcore 1.0.9's sdist
// from the package index, patched with the scenario's httpcore-1.0.9-reset-on-close.patch (a reset in
// _response_closed, after encode/httpcore#1098's description) and built into a wheel, under httpx 0.28.1.
// The unpatched pair reproduces in the same batch, so a fixture that stopped telling them apart fails here.
import { execa } from 'execa';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import type { StreamRecord } from '../fixtures/h2-server.ts';
import { h2View, streamsTo } from '../harness/h2-kit.ts';
import { runJobs } from '../harness/runner.ts';
import { EnvironmentCache, findPython, venvTarget } from '../harness/runtime/python-env.ts';
import { loadScenarios } from '../harness/scenarios.ts';
import { parseClientSpec } from '../harness/spec.ts';

const work = await mkdtemp(join(tmpdir(), 'regress-h2-fix-'));
afterAll(() => rm(work, { recursive: true, force: true }));

/** httpcore 1.0.9 from its sdist, patched and built; returns the wheel's path. */
async function buildPatchedHttpcore(python: string, patch: string): Promise<string> {
  await execa(python, ['-m', 'pip', 'download', '--quiet', '--no-deps', '--no-binary', ':all:', '-d', work, 'httpcore==1.0.9']);
  const sdist = (await readdir(work)).find((f) => f.endsWith('.tar.gz'));
  if (!sdist) throw new Error('pip download left no httpcore sdist');
  await execa('tar', ['-xzf', join(work, sdist), '-C', work]);
  const source = join(work, sdist.replace(/\.tar\.gz$/, ''));
  await execa('patch', ['-p1', '-i', patch], { cwd: source });
  // Built from an sdist, hatchling takes the version from PKG-INFO, not from __init__.py: label the build
  // there too, so the environment reports 1.0.9+reset and nobody mistakes it for the release.
  const pkgInfo = join(source, 'PKG-INFO');
  await writeFile(pkgInfo, (await readFile(pkgInfo, 'utf8')).replace(/^Version: 1\.0\.9$/m, 'Version: 1.0.9+reset'));
  await execa(python, ['-m', 'pip', 'wheel', '--quiet', '--no-deps', '-w', join(work, 'dist'), source]);
  const wheel = (await readdir(join(work, 'dist'))).find((f) => f.startsWith('httpcore-1.0.9+reset-'));
  if (!wheel) throw new Error('the patched build produced no httpcore-1.0.9+reset wheel');
  return join(work, 'dist', wheel);
}

test('a build that resets early-closed streams is fixed; the release it patches reproduces', async () => {
  const scenario = (await loadScenarios()).find((s) => s.meta.id === 'h2-stream-slots')!;
  const python = await findPython();
  const wheel = await buildPatchedHttpcore(python.path, join(scenario.dir, 'httpcore-1.0.9-reset-on-close.patch'));
  const cache = new EnvironmentCache(python);
  const patched = `httpx[http2]==0.28.1 httpcore@file://${wheel}`;
  const jobs = ['httpx[http2]==0.28.1', patched].map((spec) => ({
    scenario,
    case: scenario.cases[0]!,
    client: venvTarget(cache, parseClientSpec(spec)),
  }));
  const results = await runJobs(jobs, { concurrency: 2 });
  const [released, build] = [0, 1].map((i) => results.find((r) => r.client === jobs[i]!.client.label)!);

  expect(released!.verdict, released!.evidence.reason).toBe('reproduced');
  expect(build!.installed!.packages.httpcore).toBe('1.0.9+reset');
  expect(build!.verdict, build!.evidence.reason).toBe('fixed');
  // The server's side of `fixed`: every early-closed stream reset by the client, the follow-ups ended.
  const server = h2View(build!.evidence.server.h2);
  const outcomes = (prefix: string): StreamRecord['outcome'][] => streamsTo(server, prefix).map((s) => s.outcome);
  expect(outcomes('/endless/')).toEqual(['reset-by-client', 'reset-by-client', 'reset-by-client']);
  expect(outcomes('/after-')).toEqual(['ended', 'ended']);
  expect(h2View(released!.evidence.server.h2)!.streams.filter((s) => s.outcome === 'reset-by-client')).toEqual([]);
}, 600_000);
