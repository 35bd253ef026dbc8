// The npm runtime end to end, through the real entry point (bin/regress.js) in child processes: real
// releases from npm, real Node releases (node@18 from npm), scaffolded scenarios judged from both sides.
// An npm spec installs once into the cache and runs on the Node release it names; a spec with no version
// gets the newest release whose engines accept that Node; a Node project's lock gates what it ships; bad
// input is one line and exit 2.
import { execa } from 'execa';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { clientsFromNpmLock } from '../harness/npm-lock-files.ts';
import type { CaseResult } from '../harness/types.ts';

const checkout = join(import.meta.dirname, '..');
const BIN = join(checkout, 'bin', 'regress.js');
const regress = (cwd: string, ...args: string[]) => execa(process.execPath, [BIN, ...args], { cwd, reject: false });

let project: string;

beforeAll(async () => {
  project = await mkdtemp(join(tmpdir(), 'regress-npm-'));
  await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
  for (const f of ['undici', 'fetch', 'node-http', 'axios']) {
    const made = await regress(project, 'new', `demo-${f}`, '--family', f);
    expect(made.exitCode, made.stderr).toBe(0);
  }
}, 120_000);

afterAll(async () => {
  if (project) await rm(project, { recursive: true, force: true });
});

const results = (stdout: string): CaseResult[] => (JSON.parse(stdout) as { results: CaseResult[] }).results;

describe('npm clients run on the Node release they name', () => {
  test('each family is judged from both sides, on Node 18 and on the Node running regress', async () => {
    const only = ['undici', 'fetch', 'node-http', 'axios'].flatMap((f) => ['--scenario', `demo-${f}`]);
    const run = await regress(project, 'run', '--scenarios', 'scenarios', ...only, '--client', 'undici', '--client', 'fetch', '--client', 'node-http', '--client', 'axios@1.16.0 follow-redirects@1.15.5', '--node', '18', '--node', process.versions.node, '--json', '--no-report');
    expect(run.exitCode, run.stderr).toBe(0);
    const all = results(run.stdout);
    // 4 scenarios, each covering one family, each family on 2 Node releases.
    expect(all).toHaveLength(8);
    for (const r of all) {
      expect(r.verdict, `${r.client}: ${r.evidence.reason}`).toBe('fixed');
      expect(r.evidence.server).toBeDefined();
      expect(r.installed?.runtime).toBe('npm');
    }
    const on18 = all.filter((r) => r.installed?.node?.startsWith('18.'));
    expect(on18).toHaveLength(4);
    // undici 7 and 8 do not run on Node 18 (engines): the newest that does is a 6.x (or older) release.
    const undici18 = on18.find((r) => r.scenario === 'demo-undici')!;
    expect(Number(undici18.installed!.packages.undici!.split('.')[0])).toBeLessThanOrEqual(6);
    // The built-in fetch reports the undici inside that Node release; axios the companion the spec pinned.
    expect(on18.find((r) => r.scenario === 'demo-fetch')!.installed!.packages.undici).toMatch(/^5\./);
    expect(all.filter((r) => r.scenario === 'demo-axios').map((r) => r.installed!.packages['follow-redirects'])).toEqual(['1.15.5', '1.15.5']);
  }, 300_000);

  test.for<[string[], RegExp]>([
    [['--client', 'undici@99.0.0'], /cannot install 'undici@99\.0\.0': no matching release on npm/],
    [['--client', 'undici@8.14.1 node@20'], /undici 8\.14\.1 needs Node >=22\.19\.0/],
    [['--client', 'httpx', '--node', '20'], /--node applies to npm clients; none of httpx is one/],
    [['--client', 'node@20'], /a Node release alone is no client: fetch@N or node-http@N/],
  ])('bad input %s is one line, exit 2', { timeout: 300_000 }, async ([args, message]) => {
    const run = await regress(project, 'run', '--scenarios', 'scenarios', '--scenario', 'demo-undici', ...args, '--no-report');
    expect(run.exitCode, run.stderr).toBe(2);
    const lines = run.stderr.split('\n').filter((l) => l.trim() && !l.startsWith('[env]'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
  });
});

describe("a Node project's lock", () => {
  test('package-lock.json gates the client it pins, with the locked companion', async () => {
    const app = join(project, 'app');
    await execa('mkdir', ['-p', app]);
    await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true, dependencies: { axios: '1.16.0' }, overrides: { 'follow-redirects': '1.15.6' } }));
    const locked = await execa('npm', ['install', '--package-lock-only', '--no-audit', '--no-fund'], { cwd: app, reject: false });
    expect(locked.exitCode, locked.stderr).toBe(0);
    const run = await regress(project, 'run', '--scenarios', 'scenarios', '--scenario', 'demo-axios', '--requirements', join(app, 'package-lock.json'), '--json', '--no-report');
    expect(run.exitCode, run.stderr).toBe(0);
    const [r] = results(run.stdout);
    expect(r!.client).toMatch(/^axios@1\.16\.0 \(.*package-lock\.json [0-9a-f]{8}\)$/);
    expect(r!.installed!.packages['follow-redirects']).toBe('1.15.6');
    expect(r!.installed!.lock?.format).toBe('package-lock.json');
  }, 300_000);

  test('pnpm-lock.yaml v9: the client and its closure as pinned, peers stripped', () => {
    const text = [
      "lockfileVersion: '9.0'",
      'importers:',
      '  .:',
      '    dependencies:',
      '      axios:',
      '        specifier: ^1.16.0',
      '        version: 1.16.0(debug@4.4.0)',
      'packages: {}',
      'snapshots:',
      '  axios@1.16.0(debug@4.4.0):',
      '    dependencies:',
      '      follow-redirects: 1.15.5(debug@4.4.0)',
      '      proxy-from-env: 1.1.0',
      '  follow-redirects@1.15.5(debug@4.4.0): {}',
      '  proxy-from-env@1.1.0: {}',
    ].join('\n');
    const [spec] = clientsFromNpmLock({ name: 'pnpm-lock.yaml', fileName: 'pnpm-lock.yaml', content: Buffer.from(text) });
    expect(spec!.family).toBe('axios');
    expect(spec!.lock!.closure).toEqual({ axios: '1.16.0', 'follow-redirects': '1.15.5', 'proxy-from-env': '1.1.0' });
  });

  test('a lock without a known client, an old lockfile, and yarn.lock are one clear error each', () => {
    const lock = (name: string, text: string) => () => clientsFromNpmLock({ name, fileName: name, content: Buffer.from(text) });
    expect(lock('package-lock.json', JSON.stringify({ lockfileVersion: 3, packages: { '': { dependencies: { left: '1' } }, 'node_modules/left': { version: '1.0.0' } } }))).toThrow(/has no known client \(undici, axios, got\)|has no known client/);
    expect(lock('package-lock.json', JSON.stringify({ lockfileVersion: 1, dependencies: {} }))).toThrow(/lockfile version 1; regress reads versions 2 and 3/);
    expect(lock('yarn.lock', '')).toThrow(/yarn\.lock is not read by regress/);
  });
});
