// The GitHub Action (action.yml at the repository root), run on this machine: its `run:` steps execute as
// bash scripts in a temporary git repository whose pull request bumps the lock file, with the GITHUB_*
// files (output, env, step summary) pointing at temporary files, and GitHub's step semantics (a step's `if:`,
// steps after a failure skipped unless `always()`). `uses:` steps (setup-node, setup-python, cache,
// upload-artifact) are GitHub's: they are not run, but their `with:` is evaluated and checked. The comment
// step talks to a stand-in `gh` (test/support/fake-gh.sh) that keeps the pull request's comments in a file.
// actionlint (the real binary) checks the example workflows and a workflow using the action.
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
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
  with?: Record<string, unknown>;
}
interface Action {
  inputs: Record<string, { default?: string }>;
  outputs: Record<string, { value: string }>;
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

const gitIn = (repo: string) => (...args: string[]) => execa('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: repo });

/** A repository whose `main` pins `from` and whose pull-request branch pins `to`, checked out on the branch. */
async function repository(name: string, from: string, to: string, extra?: string): Promise<string> {
  const repo = join(work, name);
  await mkdir(repo, { recursive: true });
  const git = gitIn(repo);
  await git('init', '--quiet', '-b', 'main');
  await copyFile(join(locks, `httpx-${from}`, 'requirements.txt'), join(repo, 'requirements.txt'));
  await writeFile(join(repo, 'README.md'), 'a project\n');
  await git('add', '.');
  await git('commit', '--quiet', '-m', `httpx ${from}`);
  await git('checkout', '--quiet', '-b', 'renovate/httpx');
  await copyFile(join(locks, `httpx-${to}`, 'requirements.txt'), join(repo, 'requirements.txt'));
  if (extra) await writeFile(join(repo, 'README.md'), extra);
  await git('commit', '--quiet', '--allow-empty', '-am', `Update httpx to ${to}`);
  return repo;
}

interface Context {
  inputs: Record<string, string>;
  outputs: Record<string, Record<string, string>>;
  event: Record<string, unknown>;
  job: string;
  attempt: string;
}

/** The `${{ … }}` forms action.yml uses; anything else fails the test. */
function expression(text: string, ctx: Context): string {
  const path = text.trim();
  let m: RegExpExecArray | null;
  if ((m = /^inputs\.([\w-]+)$/.exec(path))) return ctx.inputs[m[1]!] ?? '';
  if ((m = /^steps\.([\w-]+)\.outputs\.([\w-]+)$/.exec(path))) return ctx.outputs[m[1]!]?.[m[2]!] ?? '';
  if ((m = /^github\.event\.([\w.]+)$/.exec(path))) {
    let value: unknown = ctx.event;
    for (const key of m[1]!.split('.')) value = (value as Record<string, unknown> | undefined)?.[key];
    return value === undefined || value === null ? '' : String(value);
  }
  const fixed: Record<string, string> = {
    'github.action_path': root,
    'github.token': 'token-of-the-run',
    'github.job': ctx.job,
    'github.run_attempt': ctx.attempt,
    'runner.os': 'Linux',
    'runner.arch': 'X64',
  };
  if (path in fixed) return fixed[path]!;
  throw new Error(`action.yml uses an expression this test does not know: ${path}`);
}

const substitute = (text: string, ctx: Context): string => text.replace(/\$\{\{(.*?)\}\}/g, (_, e: string) => expression(e, ctx));

/** `a && b`, each term `always()`, `X == 'v'` or `X != 'v'`; GitHub's implicit success() unless always(). */
function condition(text: string | undefined, ctx: Context, failed: boolean): boolean {
  const terms = (text ?? '').split('&&').map((t) => t.trim()).filter(Boolean);
  if (failed && !terms.includes('always()')) return false;
  return terms.every((term) => {
    if (term === 'always()') return true;
    const m = /^([\w.-]+) (==|!=) '([^']*)'$/.exec(term);
    if (!m) throw new Error(`action.yml uses a condition this test does not know: ${term}`);
    return (expression(m[1]!, ctx) === m[3]) === (m[2] === '==');
  });
}

interface RunOptions {
  inputs?: Record<string, string>;
  baseRef?: string;
  event?: Record<string, unknown>;
  job?: string;
  attempt?: string;
  env?: Record<string, string>;
  /** Stop after the step with this id (the decision alone, without running regress). */
  stopAfter?: string;
}

/** Run the action's steps in order; returns each step's outputs, the job summary, the exit code, what ran. */
async function runAction(repo: string, options: RunOptions = {}) {
  const ctx: Context = { inputs: {}, outputs: {}, event: options.event ?? {}, job: options.job ?? 'gate', attempt: options.attempt ?? '1' };
  ctx.inputs = Object.fromEntries(Object.entries(action.inputs).map(([k, v]) => [k, options.inputs?.[k] ?? substitute(v.default ?? '', ctx)]));
  const tag = `${repo.split('/').at(-1)}-${Math.random().toString(36).slice(2, 8)}`;
  const files = { output: join(work, `${tag}-output`), env: join(work, `${tag}-env`), summary: join(work, `${tag}-summary.md`) };
  await writeFile(files.summary, '');
  const runnerTemp = await mkdtemp(join(work, 'runner-temp-'));
  const jobEnv: Record<string, string> = {};
  let exitCode = 0;
  let failed = false;
  const ran: string[] = [];
  const used: { uses: string; with: Record<string, string> }[] = [];
  const logs: string[] = [];
  for (const step of action.runs.steps) {
    if (!condition(step.if, ctx, failed)) continue;
    if (step.uses) {
      used.push({ uses: step.uses.split('@')[0]!, with: Object.fromEntries(Object.entries(step.with ?? {}).map(([k, v]) => [k, substitute(String(v), ctx)])) });
      continue;
    }
    expect(step.run).not.toMatch(/\$\{\{/);
    await writeFile(files.output, '');
    await writeFile(files.env, '');
    const stepEnv = Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, substitute(String(v), ctx)]));
    // As GitHub runs `shell: bash`: bash --noprofile --norc -eo pipefail {0}.
    const script = join(runnerTemp, `step-${ran.length}.sh`);
    await writeFile(script, step.run!);
    const result = await execa('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], {
      cwd: repo,
      reject: false,
      all: true,
      env: {
        ...jobEnv,
        ...options.env,
        ...stepEnv,
        GITHUB_OUTPUT: files.output,
        GITHUB_ENV: files.env,
        GITHUB_STEP_SUMMARY: files.summary,
        GITHUB_BASE_REF: options.baseRef ?? '',
        GITHUB_JOB: ctx.job,
        GITHUB_RUN_ATTEMPT: ctx.attempt,
        GITHUB_RUN_ID: '4242',
        GITHUB_REPOSITORY: 'me/app',
        RUNNER_OS: 'Linux',
        RUNNER_ARCH: 'X64',
        RUNNER_TEMP: runnerTemp,
      },
    });
    ran.push(step.name ?? step.id ?? '?');
    logs.push(result.all ?? '');
    exitCode = result.exitCode ?? 1;
    const parseKv = async (file: string) =>
      Object.fromEntries((await readFile(file, 'utf8')).split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    if (step.id) ctx.outputs[step.id] = await parseKv(files.output);
    Object.assign(jobEnv, await parseKv(files.env));
    if (exitCode !== 0) failed = true;
    if (step.id && step.id === options.stopAfter) break;
  }
  return { outputs: ctx.outputs, summary: await readFile(files.summary, 'utf8'), exitCode, ran, used, jobEnv, log: logs.join('\n') };
}

/** A stand-in `gh` on PATH that keeps one pull request's comments in a JSON file. */
async function fakeGh(name: string): Promise<{ env: Record<string, string>; comments: () => Promise<{ id: number; body: string }[]>; calls: () => Promise<string[]> }> {
  const dir = join(work, `gh-${name}`);
  await mkdir(dir, { recursive: true });
  const state = join(dir, 'comments.json');
  const log = join(dir, 'calls.log');
  // Another bot's comment is already there: it must be left alone.
  await writeFile(state, JSON.stringify([{ id: 7, body: 'an unrelated comment' }]));
  await writeFile(log, '');
  const gh = join(dir, 'gh');
  await writeFile(
    gh,
    `#!/usr/bin/env bash
set -euo pipefail
echo "$* token=$GH_TOKEN" >> "${log}"
[ "$1" = api ] || exit 9
shift
if [ "$1" = --paginate ]; then
  [[ "$2" == repos/me/app/issues/12/comments ]] || exit 9
  # Two pages, as --paginate prints them: the action's own comment is on the second.
  jq -c '.[:1]' "${state}"; jq -c '.[1:]' "${state}"; exit 0
fi
method="$2"; url="$3"; field="$5"
body="$(cat "\${field#body=@}")"
if [ "$method" = POST ]; then
  [[ "$url" == repos/me/app/issues/12/comments ]] || exit 9
  jq --arg b "$body" '. + [{id: (map(.id) | max + 1), body: $b}]' "${state}" > "${state}.new"
else
  id="\${url##*/}"
  jq --arg b "$body" --argjson id "$id" 'map(if .id == $id then .body = $b else . end)' "${state}" > "${state}.new"
fi
mv "${state}.new" "${state}"
echo '{}'
`,
  );
  await chmod(gh, 0o755);
  return {
    env: { PATH: `${dir}${delimiter}${process.env.PATH}` },
    comments: async () => JSON.parse(await readFile(state, 'utf8')) as { id: number; body: string }[],
    calls: async () => (await readFile(log, 'utf8')).split('\n').filter(Boolean),
  };
}

describe('action.yml', () => {
  test('is a composite action; Node, Python, the cache and the upload are GitHub actions; every script is bash', () => {
    expect(action.runs.using).toBe('composite');
    const uses = action.runs.steps.flatMap((s) => (s.uses ? [s.uses.split('@')[0]] : []));
    expect(uses).toEqual(['actions/setup-node', 'actions/setup-python', 'actions/cache', 'actions/upload-artifact']);
    expect(Object.keys(action.inputs)).toEqual(expect.arrayContaining(['lock-file', 'base-ref', 'scenarios', 'canary-image', 'cache', 'comment', 'github-token', 'artifact-name']));
    expect(action.inputs.comment!.default).toBe('false');
    for (const step of action.runs.steps) if (step.run) expect(step.shell).toBe('bash');
    // The upload's name is computed per job, never a constant that collides in a matrix.
    const upload = action.runs.steps.find((s) => s.uses?.startsWith('actions/upload-artifact'))!;
    expect(upload.with!.name).toBe('${{ steps.changed.outputs.artifact-name }}');
  });

  test('a bump that fixes a failure passes, and the job summary says so; the cache is keyed by the locks', async () => {
    const repo = await repository('fixes', '0.24.1', '0.25.2');
    const { outputs, summary, exitCode, ran, used, jobEnv, log } = await runAction(repo, { inputs: { scenarios: 'slow-server-pool-timeout' }, baseRef: 'main' });
    expect(ran, log).toEqual(["Did the lock file change?", "Install regress", "regress diff (base → head)", "Gate"]);
    expect(outputs.changed!.changed).toBe('true');
    expect(outputs.diff!['exit-code']).toBe('0');
    expect(exitCode).toBe(0);
    expect(summary).toMatch(/\| fixed by the bump \| slow-server-pool-timeout\/cancel \|/);
    expect(summary).toContain('`httpx` 0.24.1 → 0.25.2');
    const diff = JSON.parse(await readFile(join(outputs.diff!['report-dir']!, 'diff.json'), 'utf8'));
    expect(diff.base.input).toMatch(/^git:main:requirements\.txt$/);
    // The cache: the folder regress used (REGRESS_CACHE_DIR, set for the job), a key naming both locks.
    const cache = used.find((u) => u.uses === 'actions/cache')!;
    expect(cache.with.path).toBe(jobEnv.REGRESS_CACHE_DIR);
    expect(cache.with.key).toBe(`regress-Linux-X64-py3.12-${outputs.changed!['lock-hash']}`);
    expect(outputs.changed!['lock-hash']).toMatch(/^[0-9a-f]{16}$/);
    expect(cache.with['restore-keys']).toBe('regress-Linux-X64-py3.12-');
    const upload = used.find((u) => u.uses === 'actions/upload-artifact')!;
    expect(upload.with.name).toMatch(/^regress-gate-requirements\.txt-[0-9a-f]{8}-1$/);
    expect(upload.with.path).toContain(outputs.diff!['report-dir']!);
  }, 10 * 60_000);

  test('in a merge queue, a bump that brings a failure back fails the gate after writing the summary and one comment, updated on the next run', async () => {
    const repo = await repository('breaks', '0.25.2', '0.24.1');
    const base = (await gitIn(repo)('rev-parse', 'main')).stdout.trim();
    const gh = await fakeGh('breaks');
    // merge_group: no GITHUB_BASE_REF, the group's base commit; the comment needs a pull request number.
    const event = { merge_group: { base_sha: base }, pull_request: { number: 12 } };
    const first = await runAction(repo, { inputs: { scenarios: 'slow-server-pool-timeout', comment: 'true' }, event, env: gh.env });
    expect(first.ran).toEqual(['Did the lock file change?', 'Install regress', 'regress diff (base → head)', 'Comment on the pull request', 'Gate']);
    expect(first.outputs.changed!.base).toBe(base);
    expect(first.outputs.diff!['exit-code']).toBe('1');
    expect(first.exitCode).toBe(1);
    expect(first.summary).toMatch(/\| brought back \| slow-server-pool-timeout\/cancel \| ✅ fixed \| ❌ reproduced \|/);
    // The report is uploaded before the gate fails the job.
    expect(first.used.map((u) => u.uses)).toContain('actions/upload-artifact');
    let comments = await gh.comments();
    expect(comments).toHaveLength(2);
    const marker = `<!-- ${first.outputs.changed!['comment-key']} -->`;
    expect(comments[1]!.body.startsWith(marker)).toBe(true);
    expect(comments[1]!.body).toMatch(/\| brought back \| slow-server-pool-timeout\/cancel \| ✅ fixed \| ❌ reproduced \|/);
    expect(comments[0]).toEqual({ id: 7, body: 'an unrelated comment' });
    expect(await gh.calls()).toEqual([
      'api --paginate repos/me/app/issues/12/comments token=token-of-the-run',
      expect.stringMatching(/^api -X POST repos\/me\/app\/issues\/12\/comments -F body=@.* token=token-of-the-run$/),
    ]);

    // Re-run (attempt 2): the same comment is edited, not a second one posted.
    const second = await runAction(repo, { inputs: { scenarios: 'slow-server-pool-timeout', comment: 'true' }, event, env: gh.env, attempt: '2' });
    expect(second.exitCode).toBe(1);
    comments = await gh.comments();
    expect(comments).toHaveLength(2);
    expect(comments[1]!.id).toBe(8);
    expect(comments[1]!.body).toContain('attempt 2');
    expect((await gh.calls()).at(-1)).toMatch(/^api -X PATCH repos\/me\/app\/issues\/comments\/8 -F body=@/);
    expect(second.used.find((u) => u.uses === 'actions/upload-artifact')!.with.name).toMatch(/-2$/);
  }, 10 * 60_000);

  test('a pull request that does not touch the lock passes at once, running nothing (a required check that reports)', async () => {
    const repo = await repository('untouched', '0.25.2', '0.25.2', 'a changed readme\n');
    const started = performance.now();
    const { outputs, summary, exitCode, ran, used } = await runAction(repo, { baseRef: 'main', inputs: { comment: 'true' } });
    expect(exitCode).toBe(0);
    expect(ran).toEqual(['Did the lock file change?']);
    expect(used).toEqual([]);
    expect(outputs.changed!.changed).toBe('false');
    expect(outputs.changed!['exit-code']).toBe('0');
    expect(summary).toContain('`requirements.txt` is unchanged against `main`: no client to check, the gate passes.');
    expect(performance.now() - started).toBeLessThan(30_000);
  });

  test('a lock the pull request adds (none at the base) passes with a line saying why: there is no base client', async () => {
    const repo = join(work, 'new-lock');
    await mkdir(repo, { recursive: true });
    const git = gitIn(repo);
    await git('init', '--quiet', '-b', 'main');
    await writeFile(join(repo, 'README.md'), 'a project\n');
    await git('add', '.');
    await git('commit', '--quiet', '-m', 'start');
    await git('checkout', '--quiet', '-b', 'add-lock');
    await copyFile(join(locks, 'httpx-0.24.1', 'requirements.txt'), join(repo, 'requirements.txt'));
    await git('add', '.');
    await git('commit', '--quiet', '-m', 'pin httpx');
    const { exitCode, ran, outputs, summary } = await runAction(repo, { baseRef: 'main' });
    expect(exitCode).toBe(0);
    expect(ran).toEqual(['Did the lock file change?']);
    expect(outputs.changed!.changed).toBe('false');
    expect(summary).toContain('`requirements.txt` is new (not in `main`): no base client to compare with; its later changes are gated, the gate passes.');
  });

  test('artifact names differ per job, per input and per attempt; artifact-name overrides', async () => {
    const repo = await repository('names', '0.25.2', '0.25.2');
    const name = async (options: RunOptions) => (await runAction(repo, { baseRef: 'main', stopAfter: 'changed', ...options })).outputs.changed!['artifact-name']!;
    const plain = await name({});
    const names = [plain, await name({ job: 'other' }), await name({ inputs: { 'python-version': '3.13' } }), await name({ attempt: '2' }), await name({ inputs: { 'canary-image': 'app:canary' } })];
    expect(new Set(names).size).toBe(names.length);
    expect(await name({})).toBe(plain);
    expect(await name({ inputs: { 'artifact-name': 'mine' } })).toBe('mine');
  });

  test('the lock hash (the cache key) follows both locks', async () => {
    const hash = async (repo: string) => (await runAction(repo, { baseRef: 'main', stopAfter: 'changed' })).outputs.changed!['lock-hash'];
    const a = await hash(await repository('hash-a', '0.25.2', '0.24.1'));
    const b = await hash(await repository('hash-b', '0.25.2', '0.24.1'));
    const c = await hash(await repository('hash-c', '0.24.1', '0.24.1'));
    expect(a).toBe(b);
    expect(a).not.toBe(c);
  });

  test('outside a pull request with no base-ref it stops with a clear error', async () => {
    const repo = await repository('no-base', '0.25.2', '0.25.2');
    const { exitCode, ran, log } = await runAction(repo, {});
    expect(exitCode).toBe(2);
    expect(ran).toEqual(['Did the lock file change?']);
    expect(log).toContain('::error::regress: no base ref');
    // The clear error is one line: one error annotation, naming the fix.
    expect(log.split('\n').filter((l) => l.startsWith('::error::'))).toHaveLength(1);
  });

  test('a lock-file that does not exist is an error, not a gate that passes forever', async () => {
    const repo = await repository('no-lock', '0.25.2', '0.25.2');
    const { exitCode, log } = await runAction(repo, { baseRef: 'main', inputs: { 'lock-file': 'uv.lock' } });
    expect(exitCode).toBe(2);
    expect(log).toContain('::error::regress: lock-file uv.lock does not exist in the checkout');
  });
});

/** actionlint: on PATH, else where `go install` puts it. */
async function findActionlint(): Promise<string | null> {
  const onPath = await execa('actionlint', ['-version'], { reject: false });
  if (onPath.exitCode === 0) return 'actionlint';
  const gopath = await execa('go', ['env', 'GOPATH'], { reject: false });
  const candidate = gopath.exitCode === 0 ? join(gopath.stdout.trim(), 'bin', 'actionlint') : '';
  return candidate && existsSync(candidate) ? candidate : null;
}

const actionlint = await findActionlint();
const inCI = process.env.CI === 'true';
if (!actionlint && !inCI) {
  console.warn('action.test.ts: actionlint not found (go install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12): its checks are skipped; under CI=true they fail');
}

describe.skipIf(!actionlint && !inCI)('actionlint', () => {
  test('finds actionlint (.ci/run installs it)', () => {
    expect(actionlint, 'actionlint is not installed: .ci/run installs it with go install').not.toBeNull();
  });

  test('the example workflows pass actionlint', async () => {
    const workflows = (await readdir(join(root, 'examples', 'ci'))).filter((f) => f.endsWith('.yml')).map((f) => join(root, 'examples', 'ci', f));
    expect(workflows.length).toBeGreaterThanOrEqual(3);
    const result = await execa(actionlint!, ['-no-color', ...workflows], { reject: false, cwd: root });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
  });

  test('a workflow using the action with every input passes; an input the action does not have fails', async () => {
    // actionlint reads a local action's action.yml (`uses: ./`) and checks the inputs given to it.
    const repo = join(work, 'lint');
    await mkdir(join(repo, '.github', 'workflows'), { recursive: true });
    await copyFile(join(root, 'action.yml'), join(repo, 'action.yml'));
    await execa('git', ['init', '--quiet'], { cwd: repo });
    const workflow = (extra: string) => `name: regress
on: [pull_request, merge_group]
jobs:
  gate:
    runs-on: ubuntu-latest
    permissions: { contents: read, pull-requests: write }
    steps:
      - uses: actions/checkout@v4
      - id: regress
        uses: ./
        with:
          lock-file: uv.lock
          base-ref: main
          scenarios: pool-limits
          canary-image: ""
          python-version: "3.13"
          concurrency: "4"
          cache: true
          comment: true
          github-token: \${{ github.token }}
          artifact-name: regress-\${{ github.job }}
${extra}      - run: echo "\${{ steps.regress.outputs.exit-code }} \${{ steps.regress.outputs.changed }}"
`;
    const file = join(repo, '.github', 'workflows', 'regress.yml');
    await writeFile(file, workflow(''));
    const good = await execa(actionlint!, ['-no-color', file], { reject: false, cwd: repo });
    expect(good.stdout + good.stderr).toBe('');
    expect(good.exitCode).toBe(0);
    await writeFile(file, workflow('          no-such-input: x\n'));
    const bad = await execa(actionlint!, ['-no-color', file], { reject: false, cwd: repo });
    expect(bad.exitCode).toBe(1);
    expect(bad.stdout).toMatch(/no-such-input/);
  });
});
