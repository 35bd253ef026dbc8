// regress as a project adds it: `npm pack` builds the tarball (prepack compiles dist/), a fresh temporary
// project installs it with `npm install <tarball>` (no clone, only regress's runtime dependencies), and
// `npx regress list` and a one-scenario gate run there; the project scaffolds its own scenario with
// `npx regress new`, which imports `regress/kit` from the installed package, type-checks against its
// declarations, runs green and fails once its assertion is broken.
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const checkout = join(import.meta.dirname, '..');
// The Node running this test (the project's Node 24) first on PATH, as `npx` in a project with it would.
const env = { PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH}`, CI: process.env.CI ?? '' };
let work: string;
let app: string;
let packed: string[];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'regress-package-'));
  const pack = await execa('npm', ['pack', '--json', '--pack-destination', work], { cwd: checkout, env });
  const [info] = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('['))) as [{ filename: string; files: { path: string }[] }];
  packed = info.files.map((f) => f.path);
  app = join(work, 'app');
  await execa('mkdir', ['-p', app]);
  await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
  // The shared npm cache (the default one): the registry is reachable, the cache makes it quick.
  await execa('npm', ['install', '--no-audit', '--no-fund', '--save-dev', join(work, info.filename)], { cwd: app, env });
}, 15 * 60_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the packed package', () => {
  test('ships compiled JavaScript, the scenario catalogue and the Python contract, and no TypeScript', () => {
    expect(packed).toContain('dist/harness/cli/main.js');
    expect(packed).toContain('dist/families/httpx/regress_compat.py');
    expect(packed).toContain('dist/families/requests/family.json');
    // The Node contract and the npm families' contracts (client programs of npm families import them).
    expect(packed).toEqual(expect.arrayContaining(['dist/harness/node/register.mjs', 'dist/harness/node/regress-core.mjs', 'dist/families/undici/contract.mjs', 'dist/families/undici/family.json']));
    for (const file of ['scenario.js', 'judge.js', 'clients/httpx.py', 'expectations.json', 'README.md']) {
      expect(packed).toContain(`dist/scenarios/pool-limits/${file}`);
    }
    // JavaScript only, plus the declarations of `regress/kit` (package.json "exports").
    expect(packed.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    expect(packed).toEqual(expect.arrayContaining(['dist/harness/kit.js', 'dist/harness/kit.d.ts', 'dist/harness/types.d.ts']));
    expect(packed.filter((f) => f.startsWith('test/') || f.startsWith('scripts/'))).toEqual([]);
  });

  test('installs without regress\'s devDependencies', async () => {
    const modules = await readdir(join(app, 'node_modules'));
    expect(modules).toContain('regress');
    for (const dev of ['typescript', 'vitest', 'playwright-core', 'node']) expect(modules).not.toContain(dev);
    expect(existsSync(join(app, 'node_modules', 'regress', 'dist', 'scenarios', 'pool-limits', 'scenario.js'))).toBe(true);
  });

  test('npx regress list finds the catalogue', async () => {
    const { stdout, exitCode, stderr } = await execa('npx', ['regress', 'list', '--json'], { cwd: app, env, reject: false });
    expect(stderr).not.toMatch(/internal error/);
    expect(exitCode).toBe(0);
    const ids = (JSON.parse(stdout) as { scenarios: { id: string }[] }).scenarios.map((s) => s.id);
    expect(ids).toEqual(expect.arrayContaining(['pool-limits', 'slow-server-pool-timeout', 'keepalive-expiry']));
  });

  test('npx regress --version is the package\'s version (package.json by self-reference from dist/)', async () => {
    const { stdout, exitCode } = await execa('npx', ['regress', '--version'], { cwd: app, env, reject: false });
    expect(exitCode).toBe(0);
    expect(stdout.trim()).toBe((JSON.parse(await readFile(join(checkout, 'package.json'), 'utf8')) as { version: string }).version);
  });

  test('sentinels are found in the package as in the checkout', async () => {
    const installed = await execa('npx', ['regress', 'sentinels', '--list'], { cwd: app, env, reject: false });
    const checkedOut = await execa(process.execPath, ['bin/regress.js', 'sentinels', '--list'], { cwd: checkout, reject: false });
    expect(installed.exitCode, installed.stderr).toBe(checkedOut.exitCode);
    expect(installed.stdout).toMatch(/pool-limits/);
    expect(installed.stdout).toBe(checkedOut.stdout);
  });

  test('a one-scenario gate passes in the fresh project', async () => {
    const { stdout, exitCode, stderr } = await execa(
      'npx',
      ['regress', 'run', '--client', 'httpx==0.28.1', '--scenario', 'pool-limits', '--concurrency', '8', '--json', '--no-report'],
      { cwd: app, env, reject: false },
    );
    expect(exitCode, stderr).toBe(0);
    const results = (JSON.parse(stdout) as { results: { case: string; verdict: string; installed: { packages: Record<string, string> } }[] }).results;
    expect(results.map((r) => [r.case, r.verdict])).toEqual([['limits', 'fixed']]);
    expect(results[0]!.installed.packages.httpx).toBe('0.28.1');
  }, 10 * 60_000);

  test('regress/kit resolves from the project through package.json exports', async () => {
    const probe = "const k = await import('regress/kit'); console.log([k.defineScenario, k.serveHttp, k.serveH2, k.defineSentinels, k.fixed].map((f) => typeof f).join(' '))";
    const { stdout, exitCode, stderr } = await execa(process.execPath, ['--input-type=module', '-e', probe], { cwd: app, env, reject: false });
    expect(exitCode, stderr).toBe(0);
    expect(stdout.trim()).toBe('function function function function function');
  });

  test('npx regress new my-hang: fixed at once (exit 0), reproduced once its assertion is broken (exit 1)', async () => {
    const made = await execa('npx', ['regress', 'new', 'my-hang'], { cwd: app, env, reject: false });
    expect(made.exitCode, made.stderr).toBe(0);
    expect(made.stdout).toMatch(/scenarios\/my-hang\/judge\.ts/);
    const run = (): Promise<{ exitCode?: number; stdout: string; stderr: string }> =>
      execa('npx', ['regress', 'run', '--scenarios', 'scenarios', '--scenario', 'my-hang', '--concurrency', '8', '--json', '--no-report'], { cwd: app, env, reject: false });
    const verdicts = (stdout: string): string[][] => (JSON.parse(stdout) as { results: { scenario: string; case: string; verdict: string }[] }).results.map((r) => [r.scenario, r.case, r.verdict]);

    const green = await run();
    expect(green.exitCode, green.stderr).toBe(0);
    // The case and the gate's leak repetition of it (the soak driver ships in the package).
    expect(verdicts(green.stdout)).toEqual([['my-hang', 'reuse', 'fixed'], ['my-hang', 'reuse@repeat', 'fixed']]);

    const judge = join(app, 'scenarios', 'my-hang', 'judge.ts');
    const original = await readFile(judge, 'utf8');
    await writeFile(judge, original.replace('export const MAX_CONNECTIONS = 1;', 'export const MAX_CONNECTIONS = 0;'));
    try {
      const red = await run();
      expect(red.exitCode, red.stderr).toBe(1);
      // Reproduced from the first iteration: the case's own row reports it; the repetition finds no growth.
      expect(verdicts(red.stdout)).toEqual([['my-hang', 'reuse', 'reproduced'], ['my-hang', 'reuse@repeat', 'fixed']]);
    } finally {
      await writeFile(judge, original);
    }
  }, 10 * 60_000);

  test("the scaffolded TypeScript type-checks against the package's declarations, which are real types", async () => {
    expect(existsSync(join(app, 'scenarios', 'my-hang', 'scenario.ts'))).toBe(true);
    // The project's own TypeScript setup, as a user would have it (regress ships no compiler).
    await writeFile(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2024', strict: true, noEmit: true, allowImportingTsExtensions: true, skipLibCheck: true, types: [] },
        include: ['scenarios'],
      }),
    );
    const tsc = join(checkout, 'node_modules', '.bin', 'tsc');
    const clean = await execa(tsc, ['-p', '.'], { cwd: app, env, reject: false });
    expect(clean.exitCode, clean.stdout).toBe(0);
    const judge = join(app, 'scenarios', 'my-hang', 'judge.ts');
    const original = await readFile(judge, 'utf8');
    await writeFile(judge, `${original}\nexport const wrong: import('regress/kit').Verdict = 'passed';\n`);
    try {
      const typed = await execa(tsc, ['-p', '.'], { cwd: app, env, reject: false });
      expect(typed.exitCode).not.toBe(0);
      expect(typed.stdout).toMatch(/judge\.ts.*'"passed"' is not assignable to type 'Verdict'/);
    } finally {
      await writeFile(judge, original);
    }
  }, 5 * 60_000);

  test('the upgrade gate: diff of two pinned requirements files in the fresh project', async () => {
    for (const v of ['0.24.1', '0.25.2']) await copyFile(join(checkout, 'test', 'support', 'locks', `httpx-${v}`, 'requirements.txt'), join(app, `requirements-${v}.txt`));
    const { stdout, exitCode, stderr } = await execa(
      'npx',
      ['regress', 'diff', '--base', 'requirements-0.24.1.txt', '--head', 'requirements-0.25.2.txt', '--scenario', 'slow-server-pool-timeout', '--concurrency', '8', '--json', '--no-report'],
      { cwd: app, env, reject: false },
    );
    expect(exitCode, stderr).toBe(0);
    const diff = JSON.parse(stdout) as { changes: { scenario: string; case: string; kind: string }[] };
    expect(diff.changes).toContainEqual(expect.objectContaining({ scenario: 'slow-server-pool-timeout', case: 'cancel', kind: 'fixed-by-bump' }));
  }, 10 * 60_000);

  test("a Node project's upgrade gate: diff of two package-lock.json files, axios 1.16.0 → 1.21.1 and back", async () => {
    // Two real locks, written by npm itself for the project's dependency on axios.
    const locks: Record<string, string> = {};
    for (const v of ['1.16.0', '1.21.1']) {
      const dir = join(work, `axios-${v}`);
      await execa('mkdir', ['-p', dir]);
      await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true, dependencies: { axios: v } }));
      await execa('npm', ['install', '--package-lock-only', '--no-audit', '--no-fund'], { cwd: dir, env });
      locks[v] = join(dir, 'package-lock.json');
    }
    const diff = (base: string, head: string) =>
      execa('npx', ['regress', 'diff', '--base', base, '--head', head, '--scenario', 'axios-proxy-tls', '--concurrency', '8', '--json', '--no-report'], { cwd: app, env, reject: false });
    const changes = (stdout: string) => (JSON.parse(stdout) as { changes: { scenario: string; case: string; kind: string }[] }).changes;

    const bump = await diff(locks['1.16.0']!, locks['1.21.1']!);
    expect(bump.exitCode, bump.stderr).toBe(0);
    for (const c of ['tunnel', 'agent-ca']) {
      expect(changes(bump.stdout)).toContainEqual(expect.objectContaining({ scenario: 'axios-proxy-tls', case: c, kind: 'fixed-by-bump' }));
    }
    // The reverse brings the cleartext proxy leak back: a gate on that change fails.
    const back = await diff(locks['1.21.1']!, locks['1.16.0']!);
    expect(back.exitCode, back.stderr).toBe(1);
    expect(changes(back.stdout)).toContainEqual(expect.objectContaining({ scenario: 'axios-proxy-tls', case: 'tunnel', kind: 'brought-back' }));
  }, 10 * 60_000);
});
