// The npm sentinel builder: the exact-once rule of the edits (the same as the wheels'), then one real build
// of follow-redirects 1.16.3 from the registry, installed by npm beside axios into a scratch project — the
// edit is in the installed code, the installed package.json says it is a sentinel build, and axios uses
// it (npm dedupes onto it instead of fetching the real release). The unpatched rebuild differs from the
// release only in package.json's version and mark; builds are cached; a stale edit builds nothing. Last,
// `regress sentinels` end to end on a project scenario of the undici family: its sentinel tarball is
// caught and the unpatched rebuild is fixed.
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { families } from '../harness/families.ts';
import { NpmCache } from '../harness/runtime/npm-env.ts';
import { EnvironmentCache } from '../harness/runtime/python-env.ts';
import { sentinelBuilders } from '../harness/sentinels/builders.ts';
import { applyEdits } from '../harness/sentinels/edits.ts';
import { SentinelTarballs, tarballSpec } from '../harness/sentinels/tarball-builder.ts';
import { describeStale, SentinelWheels } from '../harness/sentinels/wheel-builder.ts';

describe('exact-text edits', () => {
  const release: Record<string, string> = {
    'lib/a.js': 'const a = 1;\nconst b = 2;\nconst b2 = 2;\n',
    'index.js': 'module.exports = require("./lib/a.js");\n',
  };
  const read = (file: string) => release[file] ?? null;

  test('an edit whose text occurs once is applied; later edits of a file see the earlier ones', () => {
    const outcome = applyEdits(
      [
        { file: 'lib/a.js', find: 'const a = 1;', replace: 'const a = 10;' },
        { file: 'lib/a.js', find: 'const a = 10;\n', replace: 'const a = 11; // $& stays text\n' },
      ],
      read,
    );
    expect(outcome).toEqual({ kind: 'applied', files: new Map([['lib/a.js', 'const a = 11; // $& stays text\nconst b = 2;\nconst b2 = 2;\n']]) });
  });

  test('no occurrence, several occurrences and a missing file are each stale, with the file named', () => {
    const outcome = applyEdits(
      [
        { file: 'lib/a.js', find: 'const c = 3;', replace: 'x' },
        { file: 'lib/a.js', find: ' = 2;', replace: ' = 3;' },
        { file: 'lib/gone.js', find: 'anything', replace: 'x' },
        { file: 'index.js', find: 'module.exports', replace: 'exports.x' },
      ],
      read,
    );
    expect(outcome.kind).toBe('stale');
    if (outcome.kind !== 'stale') return;
    expect(outcome.problems).toEqual([
      { file: 'lib/a.js', matches: 0, missingFile: false, find: 'const c = 3;' },
      { file: 'lib/a.js', matches: 2, missingFile: false, find: '= 2;' },
      { file: 'lib/gone.js', matches: 0, missingFile: true, find: 'anything' },
    ]);
    expect(describeStale(outcome.problems)).toBe(
      'no longer contains the text "const c = 3;" in lib/a.js; contains the text "= 2;" 2 times in lib/a.js; has no file lib/gone.js',
    );
  });

  test('a multi-line find that is gone names its first missing line', () => {
    const outcome = applyEdits([{ file: 'lib/a.js', find: 'const a = 1;\nconst z = 26;\n', replace: '' }], read);
    expect(outcome).toMatchObject({ kind: 'stale', problems: [{ find: 'const z = 26;', matches: 0 }] });
  });
});

// follow-redirects is small (11 kB) and axios depends on it: the case the axios family's sentinels need.
const NAME = 'follow-redirects';
const VERSION = '1.16.3';
const MARKER = {
  file: 'index.js',
  find: 'module.exports.wrap = wrap;\n',
  replace: 'module.exports.wrap = wrap;\nmodule.exports.regressTestEdit = "edited";  // test edit\n',
};

describe('a real sentinel tarball, installed by npm', () => {
  let cacheRoot: string;
  let scratch: string;
  let tarballs: SentinelTarballs;

  beforeAll(async () => {
    cacheRoot = await mkdtemp(join(tmpdir(), 'regress-sentinel-tarballs-'));
    scratch = await mkdtemp(join(tmpdir(), 'regress-sentinel-install-'));
    tarballs = new SentinelTarballs(cacheRoot);
  });
  afterAll(async () => {
    await rm(cacheRoot, { recursive: true, force: true });
    await rm(scratch, { recursive: true, force: true });
  });

  test('the edit is in the installed code, package.json says what it is, and axios uses it', { timeout: 240_000 }, async () => {
    const built = await tarballs.rebuild(NAME, VERSION, 'sentinel.testedit', [MARKER]);
    expect(built).toMatchObject({ kind: 'built', created: true, version: '1.16.3+sentinel.testedit' });
    if (built.kind !== 'built') return;
    expect(basename(built.tarball)).toBe('follow-redirects-1.16.3-sentinel-testedit.tgz');
    expect(built.tarball.startsWith(join(cacheRoot, 'sentinels', 'tarballs'))).toBe(true);

    const project = join(scratch, 'with-axios');
    await mkdir(project);
    await writeFile(join(project, 'package.json'), '{"name":"scratch","version":"1.0.0","private":true}\n');
    // npm needs the shell's registry and TLS settings to install; the program run below gets none of them.
    await execa('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', 'axios@1.21.1', tarballSpec(NAME, built.tarball)], { cwd: project, timeout: 180_000 });

    const installed = JSON.parse(await readFile(join(project, 'node_modules', NAME, 'package.json'), 'utf8'));
    expect(installed.version).toBe('1.16.3+sentinel.testedit');
    expect(installed.regressSentinel).toEqual({ label: 'sentinel.testedit', release: VERSION, edited: ['index.js'] });
    // One copy: axios's `^1.x` range ignores build metadata, so npm put no real release under axios.
    expect(existsSync(join(project, 'node_modules', 'axios', 'node_modules', NAME))).toBe(false);

    const probe = `
      const { createRequire } = require('node:module');
      const fromAxios = createRequire(require.resolve('axios'));
      console.log(JSON.stringify({ edit: require('${NAME}').regressTestEdit, axiosGets: fromAxios.resolve('${NAME}') === require.resolve('${NAME}') }));`;
    const { stdout } = await execa(process.execPath, ['-e', probe], { cwd: project, env: { NODE_OPTIONS: '' } });
    expect(JSON.parse(stdout)).toEqual({ edit: 'edited', axiosGets: true });
  });

  test('the same build again comes from the cache', async () => {
    const first = await tarballs.rebuild(NAME, VERSION, 'sentinel.testedit', [MARKER]);
    const again = await new SentinelTarballs(cacheRoot).rebuild(NAME, VERSION, 'sentinel.testedit', [MARKER]);
    expect(again).toMatchObject({ kind: 'built', created: false });
    expect(first.kind === 'built' && again.kind === 'built' && first.tarball === again.tarball).toBe(true);
  });

  test('the unpatched rebuild differs from the release only in package.json\'s version and mark', { timeout: 120_000 }, async () => {
    const built = await tarballs.rebuild(NAME, VERSION, 'sentinel.unpatched', []);
    expect(built).toMatchObject({ kind: 'built', version: '1.16.3+sentinel.unpatched' });
    if (built.kind !== 'built') return;
    const rebuilt = await unpacked(built.tarball, join(scratch, 'rebuilt'));
    const original = await unpacked(await tarballs.original(NAME, VERSION), join(scratch, 'original'));
    expect(Object.keys(rebuilt).sort()).toEqual(Object.keys(original).sort());
    for (const file of Object.keys(original).filter((f) => f !== 'package/package.json')) expect(rebuilt[file], file).toBe(original[file]);
    const { version, regressSentinel, ...rest } = JSON.parse(rebuilt['package/package.json']!);
    const { version: releaseVersion, ...releaseRest } = JSON.parse(original['package/package.json']!);
    expect([version, releaseVersion, regressSentinel]).toEqual(['1.16.3+sentinel.unpatched', VERSION, { label: 'sentinel.unpatched', release: VERSION, edited: [] }]);
    expect(rest).toEqual(releaseRest);
  });

  test('an edit whose text is not in the release is stale: reported, nothing built', async () => {
    const result = await tarballs.rebuild(NAME, VERSION, 'sentinel.gone', [MARKER, { file: 'index.js', find: 'text follow-redirects never had', replace: 'x' }]);
    expect(result).toEqual({ kind: 'stale', problems: [{ file: 'index.js', matches: 0, missingFile: false, find: 'text follow-redirects never had' }] });
    const built = await readdir(join(cacheRoot, 'sentinels', 'tarballs'));
    expect(built.filter((d) => !d.startsWith('.'))).toHaveLength(2);
  });

  test('a release the registry does not have is said in one line', async () => {
    await expect(tarballs.original(NAME, '0.0.999')).rejects.toThrow(/^cannot fetch the tarball of follow-redirects 0\.0\.999: No matching version found for follow-redirects@0\.0\.999\. \(ETARGET\)$/);
  });
});

/** Every file of a tarball by its path inside it, as text (the packages edited are text). */
async function unpacked(tarball: string, into: string): Promise<Record<string, string>> {
  await mkdir(into, { recursive: true });
  await execa('tar', ['-xzf', tarball, '-C', into]);
  const files: Record<string, string> = {};
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else files[relative(into, path)] = await readFile(path, 'utf8');
    }
  };
  await walk(into);
  return files;
}

describe('the builder a line gets comes from its family record', () => {
  const venvs = new EnvironmentCache({ path: 'python3', version: '3.12.0' }, '/nonexistent');
  const builders = sentinelBuilders(new SentinelWheels('python3', '/nonexistent'), venvs, new SentinelTarballs('/nonexistent'), () => new NpmCache('/nonexistent'));
  const python = families().find((f) => f.runtime === 'python')!;
  const npm = families().find((f) => f.runtime === 'npm' && !f.nodeIsRelease && f.companions.length > 0)!;

  test('a Python family installs a wheel by PEP 508 direct reference and pins with ==', () => {
    const builder = builders.forLine(python.id);
    expect(builder.installs('pkg', '/c/pkg-1.0+sentinel.x-py3-none-any.whl')).toBe('pkg @ file:///c/pkg-1.0+sentinel.x-py3-none-any.whl');
    expect(builder.pins('pkg', '1.0')).toBe('pkg==1.0');
  });

  test('an npm family installs a tarball by file: URL beside its companions pinned with @', async () => {
    const builder = builders.forLine(npm.id);
    const dir = await mkdtemp(join(tmpdir(), 'regress-sentinel-spec-'));
    try {
      const tarball = join(dir, `${npm.companions[0]}-1.0.0-sentinel-x.tgz`);
      await writeFile(tarball, '');
      const spec = `${builder.pins(npm.distribution, '1.2.3')} ${builder.installs(npm.companions[0]!, tarball)}`;
      expect(spec).toBe(`${npm.distribution}@1.2.3 ${npm.companions[0]}@file://${tarball}`);
      // The npm runtime takes it as a spec of that family, labelled by the tarball's file name.
      expect(builder.target(spec)).toMatchObject({ family: npm.id, label: `${npm.distribution}@1.2.3 ${npm.companions[0]}@${basename(tarball)}` });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

// A project scenario (regress/kit, as a user writes one) for undici's fetch across a cross-origin redirect,
// with the fix of CVE-2024-24758 (6.6.1) taken back out as its sentinel: B, another origin, receives the
// Proxy-Authorization header the program gave A.
const PROBE_SCENARIO = `import { defineScenario, findStep, fixed, receivedAt, redirectServer, reproduced, serveFixtures, unrecognised } from 'regress/kit';

const SECRET = 'Basic cmVncmVzczpwcm94eS1zZWNyZXQ=';

export default defineScenario({
  meta: {
    id: 'npm-sentinel-probe',
    status: 'historic',
    title: 'fetch keeps Proxy-Authorization off a cross-origin redirect',
    upstream: { issue: 'https://github.com/nodejs/undici/security/advisories/GHSA-3787-6prv-h9w3', fix: ['6.6.1'] },
    seedClaim: { firstFixed: '6.6.1', source: 'https://github.com/nodejs/undici/security/advisories/GHSA-3787-6prv-h9w3' },
    measured: { lastBroken: '6.6.0', firstFixed: '6.6.1', note: 'test scenario' },
    failureSignature: 'B receives the Proxy-Authorization header',
  },
  cases: [{
    name: 'proxy-authorization',
    summary: 'fetch of A with Proxy-Authorization; A answers 302 to B',
    timeLimitMs: 30_000,
    unavoidableWaitMs: 0,
    setup: () => serveFixtures({ b: redirectServer({ partner: 'a' }), a: redirectServer({ partner: 'b' }) }, (s) => ({ a: s.a.url, secret: SECRET })),
    judge: (input) => {
      const step = findStep(input.client, 'proxy-authorization');
      const atA = receivedAt(input.server.a, '/redirect');
      const atB = receivedAt(input.server.b, '/landing/proxy-authorization');
      if (atA.length !== 1 || atA[0].proxyAuthorization !== SECRET || atB.length !== 1) return unrecognised(\`A received \${atA.length}, B \${atB.length} request(s)\`);
      if (atB[0].proxyAuthorization === SECRET) return reproduced('B received the Proxy-Authorization header given to A');
      return step?.ok && step.status === 200 ? fixed('B received the redirected GET without Proxy-Authorization') : unrecognised('the client did not end with 200');
    },
  }],
});
`;

const PROBE_PROGRAM = `import { Agent, fetch } from 'undici';
import { run } from '@regress/contract';

await run(async (ctx) => {
  const agent = new Agent({ keepAliveTimeout: 10_000 });
  await ctx.closing(agent, async () => {
    const step = await ctx.attempt('proxy-authorization', () =>
      fetch(\`\${ctx.input.a}/redirect?status=302&to=/landing/proxy-authorization\`, { dispatcher: agent, headers: ctx.withToken({ 'Proxy-Authorization': ctx.input.secret }) }));
    await step.response?.text();
  });
});
`;

const PROBE_SENTINELS = `import { defineSentinels } from 'regress/kit';

export default defineSentinels([{
  id: 'proxy-auth-kept',
  summary: 'fetch keeps Proxy-Authorization on a cross-origin redirect (undici 6.6.0)',
  expect: ['proxy-authorization'],
  variants: [{
    line: 'undici',
    package: 'undici',
    edits: [{ file: 'lib/web/fetch/index.js', find: "    request.headersList.delete('proxy-authorization', true)\\n", replace: '    // sentinel: kept\\n' }],
  }],
}]);
`;

describe('regress sentinels on an npm line', () => {
  test('the sentinel tarball is caught and the unpatched rebuild is fixed', { timeout: 300_000 }, async () => {
    const project = await mkdtemp(join(tmpdir(), 'regress-npm-sentinels-'));
    try {
      const dir = join(project, 'scenarios', 'npm-sentinel-probe');
      await mkdir(join(dir, 'clients'), { recursive: true });
      await writeFile(join(dir, 'scenario.ts'), PROBE_SCENARIO);
      await writeFile(join(dir, 'clients', 'undici.mjs'), PROBE_PROGRAM);
      await writeFile(join(dir, 'sentinels.ts'), PROBE_SENTINELS);
      // Pinned, so a later undici that reshapes fetch/index.js does not make this test about staleness.
      const { stdout, stderr, exitCode } = await execa(
        process.execPath,
        [join(import.meta.dirname, '..', 'bin', 'regress.js'), 'sentinels', '--scenarios', 'scenarios', '--scenario', 'npm-sentinel-probe', '--release', 'undici@8.14.1', '--json', '--no-report'],
        { cwd: project, reject: false, timeout: 280_000 },
      );
      expect(exitCode, stderr).toBe(0);
      const outcome = JSON.parse(stdout) as { releases: Record<string, string>; stale: unknown[]; checks: { role: string; build: string; client: string; verdict: string; ok: boolean }[] };
      expect(outcome.releases).toEqual({ undici: '8.14.1' });
      expect(outcome.stale).toEqual([]);
      expect(outcome.checks.map(({ role, build, client, verdict, ok }) => ({ role, build, client, verdict, ok }))).toEqual([
        { role: 'sentinel', build: 'undici 8.14.1+sentinel.proxyauthkept', client: 'undici@undici-8.14.1-sentinel-proxyauthkept.tgz', verdict: 'reproduced', ok: true },
        { role: 'unpatched', build: 'undici 8.14.1+sentinel.unpatched', client: 'undici@undici-8.14.1-sentinel-unpatched.tgz', verdict: 'fixed', ok: true },
      ]);
    } finally {
      await rm(project, { recursive: true, force: true });
    }
  });

  test('a scenario only node:http covers has no line, so it is not named as unguarded', async () => {
    const project = await mkdtemp(join(tmpdir(), 'regress-npm-sentinels-'));
    try {
      const dir = join(project, 'scenarios', 'node-only-probe');
      await mkdir(join(dir, 'clients'), { recursive: true });
      await writeFile(join(dir, 'scenario.ts'), PROBE_SCENARIO.replace("id: 'npm-sentinel-probe'", "id: 'node-only-probe'"));
      await writeFile(join(dir, 'clients', 'node-http.mjs'), "import { run } from '@regress/contract';\nawait run(async () => undefined);\n");
      const { stdout, stderr, exitCode } = await execa(
        process.execPath,
        [join(import.meta.dirname, '..', 'bin', 'regress.js'), 'sentinels', '--scenarios', 'scenarios', '--scenario', 'node-only-probe', '--json', '--no-report'],
        { cwd: project, reject: false, timeout: 120_000 },
      );
      expect(exitCode, stderr).toBe(0);
      expect(JSON.parse(stdout)).toMatchObject({ checks: [], stale: [], unguarded: [] });
    } finally {
      await rm(project, { recursive: true, force: true });
    }
  });
});
