// The GitHub Action (action.yml at the repository root), run on this machine: its `run:` steps execute as
// bash scripts in a temporary git repository whose pull request bumps the lock file, with the GITHUB_*
// files (output, env, step summary) pointing at temporary files. `uses:` steps (setup-node, setup-python,
// upload-artifact) are GitHub's and are only checked to be there.
import { execa } from 'execa';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const root = join(import.meta.dirname, '..');
const locks = join(import.meta.dirname, 'support', 'locks');

interface Step {
  name?: string;
  id?: string;
  if?: string;
  uses?: string;
  run?: string;
  shell?: string;
  env?: Record<string, string>;
}
interface Action {
  inputs: Record<string, { default?: string }>;
  runs: { using: string; steps: Step[] };
}

let action: Action;
let work: string;

beforeAll(async () => {
  action = parse(await readFile(join(root, 'action.yml'), 'utf8')) as Action;
  work = await mkdtemp(join(tmpdir(), 'regress-action-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** A repository whose `main` pins `from` and whose pull-request branch pins `to`, checked out on the branch. */
async function repository(name: string, from: string, to: string): Promise<string> {
  const repo = join(work, name);
  await mkdir(repo, { recursive: true });
  const git = (...args: string[]) => execa('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: repo });
  await git('init', '--quiet', '-b', 'main');
  await copyFile(join(locks, `httpx-${from}`, 'requirements.txt'), join(repo, 'requirements.txt'));
  await git('add', '.');
  await git('commit', '--quiet', '-m', `httpx ${from}`);
  await git('checkout', '--quiet', '-b', 'renovate/httpx');
  await copyFile(join(locks, `httpx-${to}`, 'requirements.txt'), join(repo, 'requirements.txt'));
  await git('commit', '--quiet', '--allow-empty', '-am', `Update httpx to ${to}`);
  return repo;
}

/** The `${{ … }}` forms action.yml uses in `env:` and `if:`; anything else fails the test. */
function expression(text: string, inputs: Record<string, string>, outputs: Record<string, Record<string, string>>): string {
  const path = text.trim();
  let m: RegExpExecArray | null;
  if ((m = /^inputs\.([\w-]+)$/.exec(path))) return inputs[m[1]!] ?? '';
  if (path === 'github.action_path') return root;
  if ((m = /^steps\.([\w-]+)\.outputs\.([\w-]+)$/.exec(path))) return outputs[m[1]!]?.[m[2]!] ?? '';
  throw new Error(`action.yml uses an expression this test does not know: ${path}`);
}

function condition(text: string | undefined, inputs: Record<string, string>, outputs: Record<string, Record<string, string>>): boolean {
  if (!text || text === 'always()') return true;
  const m = /^([\w.-]+) != '([^']*)'$/.exec(text.trim());
  if (!m) throw new Error(`action.yml uses a condition this test does not know: ${text}`);
  return expression(m[1]!, inputs, outputs) !== m[2];
}

/** Run the action's steps in order; returns each step's outputs, the job summary and the last exit code. */
async function runAction(repo: string, given: Record<string, string>, baseRef: string) {
  const inputs = Object.fromEntries(Object.entries(action.inputs).map(([k, v]) => [k, given[k] ?? v.default ?? '']));
  const files = { output: join(repo, '..', `${repo.split('/').at(-1)}-output`), env: join(repo, '..', `${repo.split('/').at(-1)}-env`), summary: join(repo, '..', `${repo.split('/').at(-1)}-summary.md`) };
  await writeFile(files.summary, '');
  const runnerTemp = await mkdtemp(join(work, 'runner-temp-'));
  const outputs: Record<string, Record<string, string>> = {};
  const jobEnv: Record<string, string> = {};
  let exitCode = 0;
  const ran: string[] = [];
  /** Each run step's output (stdout and stderr interleaved), by step name. */
  const logs: Record<string, string> = {};
  for (const step of action.runs.steps) {
    if (!condition(step.if, inputs, outputs)) continue;
    if (step.uses) continue;
    expect(step.run).not.toMatch(/\$\{\{/);
    await writeFile(files.output, '');
    await writeFile(files.env, '');
    const stepEnv = Object.fromEntries(
      Object.entries(step.env ?? {}).map(([k, v]) => [k, String(v).replace(/\$\{\{(.*?)\}\}/g, (_, e: string) => expression(e, inputs, outputs))]),
    );
    // As GitHub runs `shell: bash`: bash --noprofile --norc -eo pipefail {0}.
    const script = join(runnerTemp, `step-${ran.length}.sh`);
    await writeFile(script, step.run!);
    const result = await execa('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], {
      cwd: repo,
      reject: false,
      all: true,
      env: {
        ...jobEnv,
        ...stepEnv,
        GITHUB_OUTPUT: files.output,
        GITHUB_ENV: files.env,
        GITHUB_STEP_SUMMARY: files.summary,
        GITHUB_BASE_REF: baseRef,
        RUNNER_TEMP: runnerTemp,
      },
    });
    ran.push(step.name ?? step.id ?? '?');
    logs[step.name ?? step.id ?? '?'] = result.all ?? '';
    exitCode = result.exitCode ?? 1;
    const parseKv = async (file: string) =>
      Object.fromEntries((await readFile(file, 'utf8')).split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    if (step.id) outputs[step.id] = await parseKv(files.output);
    Object.assign(jobEnv, await parseKv(files.env));
    if (exitCode !== 0) break;
  }
  return { outputs, summary: await readFile(files.summary, 'utf8'), exitCode, ran, logs };
}

describe('action.yml', () => {
  test('is a composite action that sets up Node and Python and uploads the report', () => {
    expect(action.runs.using).toBe('composite');
    const uses = action.runs.steps.flatMap((s) => (s.uses ? [s.uses.split('@')[0]] : []));
    expect(uses).toEqual(['actions/setup-node', 'actions/setup-python', 'actions/upload-artifact']);
    expect(Object.keys(action.inputs)).toEqual(expect.arrayContaining(['lock-file', 'base-ref', 'scenarios', 'canary-image']));
    for (const step of action.runs.steps) if (step.run) expect(step.shell).toBe('bash');
  });

  test('a bump that fixes a failure passes, and the job summary says so', async () => {
    const repo = await repository('fixes', '0.24.1', '0.25.2');
    const { outputs, summary, exitCode, ran } = await runAction(repo, { scenarios: 'slow-server-pool-timeout' }, 'main');
    expect(ran).toEqual(['Install regress', 'regress diff (base → head)', 'Gate']);
    expect(outputs.diff!['exit-code']).toBe('0');
    expect(exitCode).toBe(0);
    expect(summary).toMatch(/\| fixed by the bump \| slow-server-pool-timeout\/cancel \|/);
    expect(summary).toContain('`httpx` 0.24.1 → 0.25.2');
    const diff = JSON.parse(await readFile(join(outputs.diff!['report-dir']!, 'diff.json'), 'utf8'));
    expect(diff.base.input).toMatch(/^git:main:requirements\.txt$/);
  }, 10 * 60_000);

  test('a bump that brings a failure back fails the gate after writing the summary', async () => {
    const repo = await repository('breaks', '0.25.2', '0.24.1');
    const { outputs, summary, exitCode } = await runAction(repo, { scenarios: 'slow-server-pool-timeout' }, 'main');
    expect(outputs.diff!['exit-code']).toBe('1');
    expect(exitCode).toBe(1);
    expect(summary).toMatch(/\| brought back \| slow-server-pool-timeout\/cancel \| ✅ fixed \| ❌ reproduced \|/);
  }, 10 * 60_000);

  test('outside a pull request with no base-ref it stops with a clear error', async () => {
    const repo = await repository('no-base', '0.25.2', '0.25.2');
    const { outputs, exitCode, logs } = await runAction(repo, {}, '');
    expect(outputs.diff!['exit-code']).toBe('2');
    expect(exitCode).toBe(2);
    // The clear error: the diff step says exactly one thing, as a GitHub error annotation naming the fix.
    expect(logs['regress diff (base → head)']!.split('\n').filter((l) => l.trim())).toEqual([
      '::error::regress: no base ref (not a pull_request event): set the base-ref input',
    ]);
  });
});
