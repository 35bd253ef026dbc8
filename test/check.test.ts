// `regress check`: a project's scenarios held to their own expectations.json, for real (real releases, real
// fixtures, no mocks). A scaffolded scenario passes as `regress new` writes it and fails once its judge is
// broken; a project folder's rows with mixed verdicts pass; bad expectations are one line and exit 2.
import { execa } from 'execa';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { checkExitCode, type CheckCell } from '../harness/cli/check-command.ts';
import type { CaseResult, Verdict } from '../harness/types.ts';

const root = join(import.meta.dirname, '..');
let project: string;
const regress = (cwd: string, ...args: string[]) =>
  execa(process.execPath, [join(root, 'bin', 'regress.js'), ...args], { cwd, reject: false, timeout: 8 * 60_000 });

beforeAll(async () => {
  project = await mkdtemp(join(tmpdir(), 'regress-check-'));
  const made = await regress(project, 'new', 'my-hang');
  expect(made.exitCode, made.stderr).toBe(0);
});
afterAll(async () => {
  await rm(project, { recursive: true, force: true });
});

/** A copy of the scaffolded scenario under another id, with its files changed by `edit`. */
async function variant(id: string, edit: (files: { judge: string; expectations: string; scenario: string }) => Partial<Record<'judge' | 'expectations' | 'scenario', string | null>>): Promise<string> {
  const folder = join(project, 'variants', id);
  await cp(join(project, 'scenarios', 'my-hang'), folder, { recursive: true });
  const current = {
    judge: await readFile(join(folder, 'judge.ts'), 'utf8'),
    expectations: await readFile(join(folder, 'expectations.json'), 'utf8'),
    scenario: (await readFile(join(folder, 'scenario.ts'), 'utf8')).replace("id: 'my-hang'", `id: '${id}'`),
  };
  await writeFile(join(folder, 'scenario.ts'), current.scenario);
  for (const [name, text] of Object.entries(edit(current))) {
    const file = join(folder, name === 'expectations' ? 'expectations.json' : `${name}.ts`);
    if (text === null) await rm(file);
    else if (text !== undefined) await writeFile(file, text);
  }
  return folder;
}

describe('regress check on a scaffolded scenario', () => {
  test('as `regress new` writes it: every cell as expected, exit 0', async () => {
    const result = await regress(project, 'check', '--scenarios', 'scenarios', '--scenario', 'my-hang', '--no-report');
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^as expected {2}my-hang\/reuse × httpx: fixed$/m);
    expect(result.stdout).toMatch(/check: 1 cell\(s\) of 1 scenario\(s\): 1 as expected, 0 differ/);
  }, 8 * 60_000);

  test('with its judge broken (MAX_CONNECTIONS = 0): the cell differs, expected vs got printed, exit 1', async () => {
    const folder = await variant('my-hang-broken', ({ judge }) => ({ judge: judge.replace(/MAX_CONNECTIONS = \d+/, 'MAX_CONNECTIONS = 0') }));
    expect(await readFile(join(folder, 'judge.ts'), 'utf8')).toMatch(/MAX_CONNECTIONS = 0;/);
    const result = await regress(project, 'check', '--scenarios', folder, '--no-report');
    expect(result.exitCode, result.stderr).toBe(1);
    expect(result.stdout).toMatch(/^DIFFERS {6}my-hang-broken\/reuse × httpx: expected fixed, got reproduced: 3 sequential requests arrived on 1 connections, more than the 0 allowed/m);
    expect(result.stdout).toMatch(/0 as expected, 1 differ/);

    const json = await regress(project, 'check', '--scenarios', folder, '--no-report', '--json');
    expect(json.exitCode).toBe(1);
    const parsed = JSON.parse(json.stdout) as { holds: boolean; cells: { scenario: string; expected: Verdict; got: Verdict; holds: boolean }[] };
    expect(parsed.holds).toBe(false);
    expect(parsed.cells).toEqual([expect.objectContaining({ scenario: 'my-hang-broken', case: 'reuse', client: 'httpx', expected: 'fixed', got: 'reproduced', holds: false })]);
  }, 8 * 60_000);

  test('regress.config.json names the folders: check runs the project\'s scenarios only, not the catalogue', async () => {
    await writeFile(join(project, 'regress.config.json'), JSON.stringify({ scenarios: ['scenarios'] }));
    try {
      const result = await regress(project, 'check', '--no-report');
      expect(result.exitCode, result.stderr).toBe(0);
      expect(result.stdout).toMatch(/check: 1 cell\(s\) of 1 scenario\(s\)/);
    } finally {
      await rm(join(project, 'regress.config.json'));
    }
  }, 8 * 60_000);
});

describe('regress check on a project folder with mixed verdicts', () => {
  test('examples/scenarios: a release expected to reproduce and two expected fixed, all as expected', async () => {
    const result = await regress(root, 'check', '--scenarios', 'examples/scenarios', '--no-report', '--json');
    expect(result.exitCode, result.stderr).toBe(0);
    const parsed = JSON.parse(result.stdout) as { holds: boolean; cells: { client: string; expected: Verdict; got: Verdict }[] };
    expect(parsed.holds).toBe(true);
    expect(parsed.cells.map((c) => [c.client, c.got])).toEqual([
      ['httpx==0.20.0', 'reproduced'],
      ['httpx==0.21.0', 'fixed'],
      ['httpx==0.28.1', 'fixed'],
    ]);
  }, 8 * 60_000);
});

describe('bad expectations are one line and exit 2, before anything runs', () => {
  test.for([
    ['missing', { expectations: null }, /expectations\.json: cannot read it \(ENOENT\)/],
    ['not-json', { expectations: '{"checks": [' }, /expectations\.json: not valid JSON/],
    ['empty', { expectations: '{"checks": []}' }, /expectations\.json: needs a non-empty "checks" list/],
    ['unknown-case', { expectations: '{"checks": [{"case": "nope", "client": "httpx", "verdict": "fixed"}]}' }, /checks\[0\]: 'nope' is not a case of bad-unknown-case \(cases: reuse\)/],
    ['bad-verdict', { expectations: '{"checks": [{"case": "reuse", "client": "httpx", "verdict": "passed"}]}' }, /checks\[0\]: verdict 'passed' is not one of fixed, reproduced, not-applicable(?!,)/],
    ['expected-error', { expectations: '{"checks": [{"case": "reuse", "client": "httpx", "verdict": "error"}]}' }, /checks\[0\]: verdict 'error' is not one of fixed, reproduced, not-applicable(?!,)/],
    ['bad-spec', { expectations: '{"checks": [{"case": "reuse", "client": "httpcore==1.0.9", "verdict": "fixed"}]}' }, /checks\[0\]: /],
  ] as const)('%s', async ([name, edit, message]) => {
    const folder = await variant(`bad-${name}`, () => edit);
    const result = await regress(project, 'check', '--scenarios', folder, '--no-report');
    expect(result.exitCode).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^regress: /);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
  });
});

describe('the exit code', () => {
  const cell = (expected: Verdict, got: Verdict | null): CheckCell =>
    ({ row: { expected } as CheckCell['row'], got: got ? ({ verdict: got } as CaseResult) : null });
  test.for([
    [[['fixed', 'fixed'], ['reproduced', 'reproduced']], false, 0],
    [[['fixed', 'reproduced']], false, 1],
    [[['reproduced', 'fixed']], false, 1],
    [[['fixed', 'error']], false, 2],
    // A differing verdict is not hidden by an error or an interruption elsewhere.
    [[['fixed', 'error'], ['reproduced', 'fixed']], true, 1],
    [[['fixed', 'fixed'], ['fixed', null]], true, 130],
  ] as const)('%j interrupted=%s → %i', ([cells, interrupted, code]) => {
    expect(checkExitCode(cells.map(([e, g]) => cell(e, g)), interrupted)).toBe(code);
  });
});
