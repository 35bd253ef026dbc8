// A project's own scenario folders, through the real entry point in child processes (the checkout's
// bin/regress.js; test/package.test.ts does the same from an installed tarball): `regress new` scaffolds a
// scenario that is `fixed` on the latest httpx and `reproduced` once its assertion is broken; --scenarios
// and regress.config.json put it beside the catalogue in every command; bad folders, broken configs and
// clashing ids are one line and exit 2.
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { writeOwnTables } from '../harness/cli/tables-command.ts';
import type { Scenario } from '../harness/types.ts';

const checkout = join(import.meta.dirname, '..');
const BIN = join(checkout, 'bin', 'regress.js');
const regress = (cwd: string, ...args: string[]) => execa(process.execPath, [BIN, ...args], { cwd, reject: false });

/** The one `regress: …` line bad input must produce (progress lines aside), and nothing on stdout. */
function expectOneLine(run: { exitCode?: number; stderr: string; stdout: string }, message: RegExp): void {
  expect(run.exitCode, run.stderr).toBe(2);
  const lines = run.stderr.split('\n').filter((l) => l.trim() && !l.startsWith('[env]'));
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^regress: /);
  expect(lines[0]).toMatch(message);
  expect(run.stdout).toBe('');
}

let project: string;
let made: Awaited<ReturnType<typeof regress>>;

// One scaffolded scenario, scenarios/my-case in a temporary project, serves every test below.
beforeAll(async () => {
  project = await mkdtemp(join(tmpdir(), 'regress-external-'));
  await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
  made = await regress(project, 'new', 'my-case');
});

afterAll(async () => {
  if (project) await rm(project, { recursive: true, force: true });
});

describe('regress new', () => {
  test('scaffolds a scenario folder and names the three places to edit', async () => {
    expect(made.exitCode, made.stderr).toBe(0);
    expect((await readdir(join(project, 'scenarios', 'my-case'))).sort()).toEqual(
      ['README.md', 'clients', 'expectations.json', 'judge.ts', 'package.json', 'scenario.ts'],
    );
    // Without --family, the default family's program (httpx's, which httpx2 runs too).
    expect(await readdir(join(project, 'scenarios', 'my-case', 'clients'))).toEqual(['httpx.py']);
    for (const file of ['scenario.ts', join('clients', 'httpx.py'), 'judge.ts']) expect(made.stdout).toContain(join('scenarios', 'my-case', file));
    expect(made.stdout).toContain('npx regress run --scenarios scenarios --scenario my-case --client httpx');
    // A project imports the kit from the package; the folder id is the scenario id.
    const scenario = await readFile(join(project, 'scenarios', 'my-case', 'scenario.ts'), 'utf8');
    expect(scenario).toContain("from 'regress/kit'");
    expect(scenario).toContain("id: 'my-case'");
    const listed = await regress(project, 'list', '--json', '--scenarios', 'scenarios');
    expect(listed.exitCode, listed.stderr).toBe(0);
    const mine = (JSON.parse(listed.stdout) as { scenarios: { id: string; origin?: string; families: Record<string, string> }[] }).scenarios.find((s) => s.id === 'my-case');
    expect(mine?.origin).toBe(join(project, 'scenarios'));
    expect(mine?.families).toEqual({ httpx: 'historic', httpx2: 'historic' });
  });

  test('--family writes that family\'s program, which runs green against its latest release', async () => {
    for (const family of ['requests', 'urllib3']) {
      const made = await regress(project, 'new', `reuse-${family}`, '--family', family);
      expect(made.exitCode, made.stderr).toBe(0);
      expect(await readdir(join(project, 'scenarios', `reuse-${family}`, 'clients'))).toEqual([`${family}.py`]);
      expect(made.stdout).toContain(`--client ${family}`);
      const run = await regress(project, 'run', '--scenarios', 'scenarios', '--scenario', `reuse-${family}`, '--client', family, '--no-repeat', '--json', '--no-report');
      expect(run.exitCode, run.stderr).toBe(0);
      const results = (JSON.parse(run.stdout) as { results: { verdict: string; evidence: { reason: string } }[] }).results;
      expect(results.map((r) => r.verdict)).toEqual(['fixed']);
      expect(results[0]!.evidence.reason).toMatch(/3 sequential requests arrived on 1 connection/);
      // A family the scenario does not cover is bad input, never a green run that checked nothing.
      const other = await regress(project, 'run', '--scenarios', 'scenarios', '--scenario', `reuse-${family}`, '--client', 'httpx', '--no-report');
      expect(other.exitCode).toBe(2);
      expect(other.stderr).toMatch(/no selected scenario covers the httpx family/);
    }
    expectOneLine(await regress(project, 'new', 'x-case', '--family', 'nope'), /unknown client family 'nope' \(known: aiohttp, axios, fetch, got, httpx, httpx2, node-http, requests, undici, urllib3/);
  }, 300_000);

  test.for([
    ['My-Case', /'My-Case' is not a scenario id: use kebab-case/],
    ['my_case', /'my_case' is not a scenario id/],
    ['1case', /'1case' is not a scenario id/],
    ['a--b', /'a--b' is not a scenario id/],
    ['case-', /'case-' is not a scenario id/],
    ['../escape', /'\.\.\/escape' is not a scenario id/],
    ['pool-limits', /'pool-limits' is a built-in scenario of regress/],
  ] as const)('refuses the id %s: one line, exit 2, nothing written', async ([id, message]) => {
    const dir = await mkdtemp(join(tmpdir(), 'regress-new-'));
    try {
      expectOneLine(await regress(dir, 'new', id), message);
      expect(await readdir(dir)).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('refuses a folder that exists, and leaves it and its parent as they were', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'regress-new-'));
    try {
      await mkdir(join(dir, 'scenarios', 'taken'), { recursive: true });
      await writeFile(join(dir, 'scenarios', 'taken', 'notes.txt'), 'mine');
      expectOneLine(await regress(dir, 'new', 'taken'), /scenarios\/taken already exists: nothing written/);
      expect(await readdir(join(dir, 'scenarios'))).toEqual(['taken']);
      expect(await readdir(join(dir, 'scenarios', 'taken'))).toEqual(['notes.txt']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('a --dir that cannot be made (a file in its path) is one line, exit 2', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'regress-new-'));
    try {
      await writeFile(join(dir, 'afile'), 'not a folder');
      expectOneLine(await regress(dir, 'new', 'bar', '--dir', 'afile/sub'), /cannot make .*afile\/sub\/bar: ENOTDIR: nothing written/);
      expect(await readdir(dir)).toEqual(['afile']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('--help describes it', async () => {
    const help = await regress(project, 'new', '--help');
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toMatch(/Usage: regress new \[options\] <id>/);
    expect(help.stdout).toMatch(/--dir <folder>/);
  });
});

describe('a project scenario runs beside the catalogue', () => {
  test('fixed on the latest httpx (exit 0), reproduced once its assertion is broken (exit 1), under its own id in every report', async () => {
    const reports = join(project, 'reports');
    const green = await regress(project, 'run', '--scenarios', 'scenarios', '--scenario', 'my-case', '--concurrency', '8', '--json', '--reports', reports);
    expect(green.exitCode, green.stderr).toBe(0);
    const results = (JSON.parse(green.stdout) as { results: { scenario: string; case: string; verdict: string; evidence: { reason: string } }[] }).results;
    // With the gate's leak repetition of its one case (harness/soak/gate-repeat.ts): a project's scenario gets it too.
    expect(results.map((r) => [r.scenario, r.case, r.verdict])).toEqual([['my-case', 'reuse', 'fixed'], ['my-case', 'reuse@repeat', 'fixed']]);
    expect(results[0]!.evidence.reason).toMatch(/3 sequential requests arrived on 1 connection\(s\)/);
    const [runId] = await readdir(reports);
    const written = join(reports, runId!);
    expect(JSON.parse(await readFile(join(written, 'results.json'), 'utf8')).results[0].scenario).toBe('my-case');
    expect(await readFile(join(written, 'junit.xml'), 'utf8')).toMatch(/my-case/);
    expect(await readFile(join(written, 'summary.md'), 'utf8')).toMatch(/my-case/);

    const judge = join(project, 'scenarios', 'my-case', 'judge.ts');
    const original = await readFile(judge, 'utf8');
    expect(original).toContain('export const MAX_CONNECTIONS = 1;');
    await writeFile(judge, original.replace('export const MAX_CONNECTIONS = 1;', 'export const MAX_CONNECTIONS = 0;'));
    try {
      const red = await regress(project, 'run', '--scenarios', 'scenarios', '--scenario', 'my-case', '--concurrency', '8', '--json', '--no-report');
      expect(red.exitCode, red.stderr).toBe(1);
      const [broken] = (JSON.parse(red.stdout) as { results: { scenario: string; verdict: string; evidence: { reason: string } }[] }).results;
      expect(broken?.scenario).toBe('my-case');
      expect(broken?.verdict).toBe('reproduced');
      expect(broken?.evidence.reason).toMatch(/more than the 0 allowed/);
    } finally {
      await writeFile(judge, original);
    }
  }, 5 * 60_000);

  test('diff runs it on both sides', async () => {
    const diff = await regress(project, 'diff', '--scenarios', 'scenarios', '--scenario', 'my-case', '--base', 'httpx', '--head', 'httpx2', '--concurrency', '8', '--json', '--no-report');
    expect(diff.exitCode, diff.stderr).toBe(0);
    const parsed = JSON.parse(diff.stdout) as { changes: unknown[]; unchanged: number };
    expect(parsed.changes).toEqual([]);
    expect(parsed.unchanged).toBe(1);
  }, 5 * 60_000);

  test.for(['run', 'verify --broken httpx==0.27.0 --fixed httpx', 'diff --base httpx --head httpx2', 'bisect', 'tables', 'sentinels'])(
    '%s loads the project folders: an unknown id lists the project scenario among the known',
    async (command) => {
      const run = await regress(project, ...command.split(' '), '--scenarios', 'scenarios', '--scenario', 'no-such', '--no-report');
      expectOneLine(run, /unknown scenario 'no-such' \(known: .*\bmy-case\b.*\bpool-limits\b/);
    },
  );

  test("sentinels.ts in a project folder is loaded, importing defineSentinels from regress/kit", async () => {
    const dir = join(project, 'guarded');
    await cp(join(project, 'scenarios', 'my-case'), join(dir, 'my-guarded'), { recursive: true });
    const scenarioFile = join(dir, 'my-guarded', 'scenario.ts');
    await writeFile(scenarioFile, (await readFile(scenarioFile, 'utf8')).replace("id: 'my-case'", "id: 'my-guarded'"));
    await writeFile(
      join(dir, 'my-guarded', 'sentinels.ts'),
      `import { defineSentinels } from 'regress/kit';
export default defineSentinels([
  {
    id: 'no-reuse',
    summary: 'every request gets a new connection',
    expect: ['reuse'],
    variants: [{ line: 'httpx', package: 'httpx', edits: [{ file: 'httpx/_client.py', find: 'a', replace: 'b' }] }],
  },
]);
`,
    );
    const listed = await regress(project, 'sentinels', '--list', '--scenarios', 'guarded', '--scenario', 'my-guarded');
    expect(listed.exitCode, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/^my-guarded .*no-reuse/m);
  });

  test('a folder inside regress\'s checkout imports the kit by path (as examples/scenarios does) and runs', async () => {
    const inside = await mkdtemp(join(checkout, '.external-test-'));
    try {
      const made = await regress(checkout, 'new', 'in-checkout', '--dir', inside);
      expect(made.exitCode, made.stderr).toBe(0);
      const scenario = await readFile(join(inside, 'in-checkout', 'scenario.ts'), 'utf8');
      expect(scenario).toMatch(/from '\.\.\/\.\.\/harness\/kit\.ts'/);
      const run = await regress(checkout, 'run', '--scenarios', inside, '--scenario', 'in-checkout', '--concurrency', '8', '--json', '--no-report');
      expect(run.exitCode, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout).results.map((r: { case: string; verdict: string }) => [r.case, r.verdict])).toEqual([['reuse', 'fixed'], ['reuse@repeat', 'fixed']]);
    } finally {
      await rm(inside, { recursive: true, force: true });
    }
  }, 5 * 60_000);
});

describe('regress.config.json', () => {
  test('is found from a subfolder, its paths are relative to the file, and --scenarios replaces its list', async () => {
    const root = await mkdtemp(join(tmpdir(), 'regress-config-'));
    try {
      await cp(join(project, 'scenarios', 'my-case'), join(root, 'checks', 'my-case'), { recursive: true });
      await writeFile(join(root, 'regress.config.json'), JSON.stringify({ scenarios: ['checks'] }));
      const deep = join(root, 'src', 'deep');
      await mkdir(deep, { recursive: true });
      const listed = await regress(deep, 'list', '--json');
      expect(listed.exitCode, listed.stderr).toBe(0);
      const ids = (JSON.parse(listed.stdout) as { scenarios: { id: string; origin?: string }[] }).scenarios;
      expect(ids.find((s) => s.id === 'my-case')?.origin).toBe(join(root, 'checks'));
      // `regress new` makes its folder in the config's first scenario folder.
      const made = await regress(deep, 'new', 'second-case');
      expect(made.exitCode, made.stderr).toBe(0);
      expect(existsSync(join(root, 'checks', 'second-case', 'scenario.ts'))).toBe(true);
      // The command line names exactly the folders it means: the config's are not added.
      await cp(join(project, 'scenarios', 'my-case'), join(root, 'elsewhere', 'my-case'), { recursive: true });
      const replaced = await regress(deep, 'list', '--json', '--scenarios', join(root, 'elsewhere'));
      expect(replaced.exitCode, replaced.stderr).toBe(0);
      const origins = (JSON.parse(replaced.stdout) as { scenarios: { id: string; origin?: string }[] }).scenarios.filter((s) => s.origin);
      expect(origins.map((s) => [s.id, s.origin])).toEqual([['my-case', join(root, 'elsewhere')]]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  test.for([
    ['{"scenarios": ["checks"', /regress\.config\.json: .*JSON/],
    ['["checks"]', /regress\.config\.json: expected a JSON object/],
    ['{"scenario": ["checks"]}', /regress\.config\.json: unknown key 'scenario' \(known: scenarios\)/],
    ['{"scenarios": "checks"}', /regress\.config\.json: "scenarios" must be a list of folder paths/],
    ['{"scenarios": ["missing"]}', /regress\.config\.json: scenario folder .*\/missing does not exist/],
  ] as const)('a broken config %s is one line, exit 2', async ([text, message]) => {
    const root = await mkdtemp(join(tmpdir(), 'regress-config-'));
    try {
      await writeFile(join(root, 'regress.config.json'), text);
      expectOneLine(await regress(root, 'list'), message);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  test('a broken config stops a run before anything runs', async () => {
    const root = await mkdtemp(join(tmpdir(), 'regress-config-'));
    try {
      await writeFile(join(root, 'regress.config.json'), '{"scenarios": ["missing"]}');
      expectOneLine(await regress(root, 'run', '--scenario', 'pool-limits', '--no-report'), /regress\.config\.json: scenario folder .*\/missing does not exist/);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('bad scenario folders and clashing ids', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'regress-folders-'));
    await mkdir(join(root, 'empty'));
    await writeFile(join(root, 'a-file'), '');
    await cp(join(project, 'scenarios', 'my-case'), join(root, 'twin', 'my-case'), { recursive: true });
    // A project folder reusing a built-in id.
    await cp(join(project, 'scenarios', 'my-case'), join(root, 'shadow', 'pool-limits'), { recursive: true });
    const shadow = join(root, 'shadow', 'pool-limits', 'scenario.ts');
    await writeFile(shadow, (await readFile(shadow, 'utf8')).replace("id: 'my-case'", "id: 'pool-limits'"));
    await cp(join(project, 'scenarios', 'my-case'), join(root, 'misnamed', 'other-name'), { recursive: true });
    await mkdir(join(root, 'broken', 'broken-case'), { recursive: true });
    await writeFile(join(root, 'broken', 'broken-case', 'package.json'), '{"type": "module"}');
    await writeFile(join(root, 'broken', 'broken-case', 'scenario.ts'), "import { nothing } from 'regress/kit/nowhere';\nexport default nothing;\n");
  });
  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  test.for([
    [['missing'], /scenario folder .*\/missing does not exist/],
    [['empty'], /scenario folder .*\/empty holds no scenario \(no <id>\/scenario\.ts in it\)/],
    [['a-file'], /scenario folder .*\/a-file is not a folder/],
    [['shadow'], /scenario id 'pool-limits' of .*\/shadow\/pool-limits clashes with regress's built-in scenario/],
    [['twin', 'PROJECT'], /scenario id 'my-case' is defined twice: .*\/my-case and .*\/my-case/],
    [['misnamed'], /other-name\/scenario\.ts declares id 'my-case'; the folder name is the id \('other-name'\)/],
    [['broken'], /cannot load .*\/broken-case\/scenario\.ts: \S/],
  ] as const)('--scenarios %j is one line, exit 2', async ([dirs, message]) => {
    const args = dirs.flatMap((d) => ['--scenarios', d === 'PROJECT' ? join(project, 'scenarios') : d]);
    expectOneLine(await regress(root, 'list', ...args), message);
  });

  test('a clash stops a run before anything runs', async () => {
    const run = await regress(root, 'run', '--scenarios', 'twin', '--scenarios', join(project, 'scenarios'), '--scenario', 'pool-limits', '--no-report');
    expectOneLine(run, /scenario id 'my-case' is defined twice/);
  });

  test("regress's own catalogue named as a project folder (a checkout of regress) is the catalogue, not a clash", async () => {
    const listed = await regress(checkout, 'list', '--json', '--scenarios', 'scenarios');
    expect(listed.exitCode, listed.stderr).toBe(0);
    const ids = (JSON.parse(listed.stdout) as { scenarios: { id: string; origin?: string }[] }).scenarios;
    expect(ids.filter((s) => s.id === 'pool-limits')).toEqual([expect.not.objectContaining({ origin: expect.anything() })]);
  });

  test('one scenario folder can be named directly', async () => {
    const listed = await regress(root, 'list', '--json', '--scenarios', join('twin', 'my-case'));
    expect(listed.exitCode, listed.stderr).toBe(0);
    expect((JSON.parse(listed.stdout) as { scenarios: { id: string }[] }).scenarios.map((s) => s.id)).toContain('my-case');
  });
});

describe('tables --write', () => {
  test("writes regress's own READMEs and leaves a project's folder alone (its table is returned to print)", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'regress-tables-'));
    try {
      const folder = (name: string) => join(dir, name);
      for (const name of ['own', 'theirs']) {
        await mkdir(folder(name));
        await writeFile(join(folder(name), 'README.md'), `# ${name}\n`);
      }
      const scenario = (id: string, origin?: string): Scenario =>
        ({ meta: { id }, cases: [], dir: folder(id), programs: {}, ...(origin ? { origin } : {}) }) as unknown as Scenario;
      const lines: string[] = [];
      const tables = { own: { httpx: '| own table |', requests: '| own requests table |' }, theirs: { httpx: '| their table |' } };
      const printed = await writeOwnTables([scenario('own'), scenario('theirs', dir)], tables, (l) => lines.push(l), true);
      expect(printed.map((s) => s.meta.id)).toEqual(['theirs']);
      expect(await readFile(join(folder('own'), 'README.md'), 'utf8')).toContain('<!-- regress:versions:start -->\n| own table |');
      // Each client program's table between its own markers.
      expect(await readFile(join(folder('own'), 'README.md'), 'utf8')).toContain('<!-- regress:versions:requests:start -->\n| own requests table |');
      expect(await readFile(join(folder('theirs'), 'README.md'), 'utf8')).toBe('# theirs\n');
      expect(lines.join('\n')).toMatch(/theirs is the project's .*: its table is printed, not written/);
      // In an installed package nothing of the catalogue is written either.
      const installed = await writeOwnTables([scenario('own')], { own: { httpx: '| newer |' } }, () => undefined, false);
      expect(installed.map((s) => s.meta.id)).toEqual(['own']);
      expect(await readFile(join(folder('own'), 'README.md'), 'utf8')).not.toContain('| newer |');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
