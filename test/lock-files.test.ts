// Lock files as client input (--requirements): a pinned requirements.txt (with hashes), a pylock.toml and a
// uv.lock made by uv from the same requirements install the same client closure; what cannot be a lock
// is one line and exit 2. The locks in test/support/locks/ were made with `uv pip compile` and `uv lock`.
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { checkPinned, lockFormat, requirementLines } from '../harness/lock-files.ts';
import { problemLines } from './support/one-line.ts';

const root = join(import.meta.dirname, '..');
const locks = join(import.meta.dirname, 'support', 'locks');
const regress = (...args: string[]) => execa(process.execPath, ['bin/regress.js', ...args], { reject: false, cwd: root });
let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'regress-locks-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('reading requirements files', () => {
  test('continuations, hashes and comments are not requirements', () => {
    const text = 'anyio==4.16.0 \\\n    --hash=sha256:aa \\\n    --hash=sha256:bb\n    # via httpcore\n--index-url https://example.invalid/simple\nhttpx[http2]==0.24.1 ; python_version >= "3.8"\n';
    expect(requirementLines(text, 'r.txt')).toEqual([
      { line: 1, requirement: 'anyio==4.16.0' },
      { line: 6, requirement: 'httpx[http2]==0.24.1 ; python_version >= "3.8"' },
    ]);
    expect(() => checkPinned(text, 'r.txt')).not.toThrow();
  });

  test.for([
    ['httpx>=0.24\n', /r\.txt line 1: 'httpx>=0\.24' is not pinned/],
    ['anyio==4.16.0\nhttpx\n', /r\.txt line 2: 'httpx' is not pinned/],
    ['httpx==0.24.*\n', /is not pinned/],
    ['-r other.txt\n', /includes another file/],
    ['-e ./src\n', /editable/],
  ] as const)('%j is refused', ([text, message]) => {
    expect(() => checkPinned(text, 'r.txt')).toThrow(message);
  });

  test.for([
    ['poetry.lock', /^poetry\.lock is not read by regress: export a pinned requirements\.txt with `poetry export -f requirements\.txt --output requirements\.txt`/],
    ['sub/Pipfile.lock', /^Pipfile\.lock is not read by regress: export a pinned requirements\.txt with `pipenv requirements > requirements\.txt`/],
  ] as const)('%s is refused by name, with the export that makes a supported lock', ([name, message]) => {
    expect(() => lockFormat(name)).toThrow(message);
  });

  test('a poetry.lock or Pipfile.lock given to the CLI: one line naming the export, exit 2, nothing run', async () => {
    // The files do not even exist: the name alone decides, before anything is read or installed.
    for (const lock of ['poetry.lock', 'git:main:Pipfile.lock']) {
      const result = await regress('run', '--requirements', lock, '--no-report');
      expect(result.exitCode).toBe(2);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(/^regress: (poetry|Pipfile)\.lock is not read by regress: export a pinned requirements\.txt with `(poetry export|pipenv requirements)/);
      expect(result.stdout).toBe('');
    }
  });

  test('the format follows the file name', () => {
    expect(lockFormat('/a/uv.lock')).toBe('uv.lock');
    expect(lockFormat('pylock.toml')).toBe('pylock.toml');
    expect(lockFormat('pylock.dev.toml')).toBe('pylock.toml');
    expect(lockFormat('requirements/prod.txt')).toBe('requirements.txt');
  });
});

describe('regress run --requirements', () => {
  test('requirements.txt (hashed), pylock.toml and uv.lock install exactly the pinned closure, recorded in installed.lock', async () => {
    const dir = join(locks, 'httpx-0.24.1');
    const files = ['requirements.txt', 'pylock.toml', 'uv.lock'].map((f) => join(dir, f));
    const { stdout, stderr, exitCode } = await regress(
      'run', ...files.flatMap((f) => ['--requirements', f]), '--scenario', 'pool-limits', '--concurrency', '8', '--json', '--no-report',
    );
    expect(exitCode, stderr).toBe(0);
    const results = JSON.parse(stdout).results as { client: string; verdict: string; installed: { packages: Record<string, string>; lock: { file: string; format: string; sha256: string; pins: Record<string, string>; closure: Record<string, string> } } }[];
    expect(results).toHaveLength(3);
    for (const file of files) {
      const r = results.find((x) => x.installed.lock.file === file)!;
      expect(r.verdict).toBe('fixed');
      expect(r.client).toMatch(/^httpx==0\.24\.1 \(/);
      expect(r.installed.lock.sha256).toBe(createHash('sha256').update(await readFile(file)).digest('hex'));
      // The pins uv read from the file, and the versions really installed, agree for the closure.
      expect(r.installed.lock.pins).toMatchObject({ httpx: '0.24.1', httpcore: '0.17.3', h11: '0.14.0' });
      expect(Object.keys(r.installed.lock.closure).sort()).toEqual(['anyio', 'certifi', 'h11', 'httpcore', 'httpx', 'idna', 'sniffio', 'typing-extensions']);
      for (const name of ['httpx', 'httpcore', 'h11', 'anyio', 'certifi', 'idna', 'sniffio']) {
        expect(r.installed.packages[name], name).toBe(r.installed.lock.closure[name]);
      }
    }
    expect(new Set(results.map((r) => r.installed.lock.format))).toEqual(new Set(['requirements.txt', 'pylock.toml', 'uv.lock']));
  }, 10 * 60_000);

  test('only the client closure is installed from a lock that pins more', async () => {
    const file = join(scratch, 'app-requirements.txt');
    const base = await readFile(join(locks, 'httpx-0.24.1', 'requirements.txt'), 'utf8');
    // An application lock pins other things too; the gate needs none of them. No hashes: not all lines have them.
    await writeFile(file, `${base.replace(/ \\\n\s+--hash=\S+/g, '')}six==1.16.0\n`);
    const { stdout, stderr, exitCode } = await regress('run', '--requirements', file, '--scenario', 'pool-limits', '--concurrency', '8', '--json', '--no-report');
    expect(exitCode, stderr).toBe(0);
    const [r] = JSON.parse(stdout).results;
    expect(r.installed.lock.pins.six).toBe('1.16.0');
    expect(r.installed.lock.closure.six).toBeUndefined();
  }, 10 * 60_000);

  test('a lock that pins several families gates each, with its own closure', async () => {
    // An application that ships httpx and requests (and with it urllib3): each family's scenarios run
    // against exactly its own closure of the lock's pins.
    const file = join(scratch, 'two-clients.txt');
    const base = await readFile(join(locks, 'httpx-0.24.1', 'requirements.txt'), 'utf8');
    const pins = base.replace(/ \\\n\s+--hash=\S+/g, '');
    await writeFile(file, `${pins}requests==2.31.0\nurllib3==2.0.5\ncharset-normalizer==3.3.2\n`);
    const { stdout, stderr, exitCode } = await regress('run', '--requirements', file, '--scenario', 'pool-limits', '--concurrency', '8', '--json', '--no-report', '--no-repeat');
    expect(exitCode, stderr).toBe(0);
    const results = JSON.parse(stdout).results as { client: string; installed: { module: string; lock: { closure: Record<string, string> } } }[];
    const byModule = Object.fromEntries(results.map((r) => [r.installed.module, r.installed.lock.closure]));
    expect(Object.keys(byModule).sort()).toEqual(['httpx', 'requests', 'urllib3']);
    expect(byModule.httpx).toMatchObject({ httpx: '0.24.1' });
    expect(byModule.httpx!.requests).toBeUndefined();
    expect(byModule.requests).toMatchObject({ requests: '2.31.0', urllib3: '2.0.5', 'charset-normalizer': '3.3.2' });
    expect(byModule.requests!.httpx).toBeUndefined();
    expect(byModule.urllib3).toEqual({ urllib3: '2.0.5' });
    expect(results.map((r) => r.client)).toEqual(expect.arrayContaining([expect.stringMatching(/^requests==2\.31\.0 \(\S*two-clients\.txt [0-9a-f]{8}\)$/)]));
  }, 10 * 60_000);

  test.for([
    ['unpinned.txt', 'httpx>=0.24\nhttpcore==0.17.3\n', /^regress: \S+unpinned\.txt line 1: 'httpx>=0\.24' is not pinned/],
    ['no-client.txt', 'six==1.16.0\n', /^regress: \S+no-client\.txt pins no known client \(aiohttp, httpx, httpx2, requests, urllib3\)/],
    ['partial.txt', 'httpx==0.24.1\nhttpcore==0.17.3\n', /^regress: \S+partial\.txt does not pin .*(anyio|certifi).*, which httpx 0\.24\.1 needs/],
  ] as const)('%s is bad input: one line, exit 2', { timeout: 120_000 }, async ([name, text, message]) => {
    const file = join(scratch, name);
    await writeFile(file, text);
    const { stderr, exitCode } = await regress('run', '--requirements', file, '--scenario', 'pool-limits', '--no-report');
    expect(exitCode).toBe(2);
    expect(problemLines(stderr)).toEqual([expect.stringMatching(message)]);
  });

  test('verify takes locks for --broken and --fixed', async () => {
    const { stdout, stderr, exitCode } = await regress(
      'verify', '--scenario', 'slow-server-pool-timeout', '--case', 'cancel',
      '--broken', 'test/support/locks/httpx-0.24.1/uv.lock', '--fixed', 'test/support/locks/httpx-0.25.2/requirements.txt', '--concurrency', '8', '--no-report',
    );
    expect(exitCode, stderr).toBe(0);
    expect(stdout).toMatch(/slow-server-pool-timeout\/cancel: holds/);
  }, 10 * 60_000);

  test('a missing file and a bad git ref are one line each', async () => {
    const missing = await regress('run', '--requirements', join(scratch, 'nope.txt'), '--no-report');
    expect(missing.exitCode).toBe(2);
    expect(problemLines(missing.stderr)).toEqual([expect.stringMatching(/^regress: cannot read lock file \S+nope\.txt: ENOENT$/)]);
    const git = await regress('run', '--requirements', 'git:no-such-ref-xyz:requirements.txt', '--no-report');
    expect(git.exitCode).toBe(2);
    expect(problemLines(git.stderr)).toEqual([expect.stringMatching(/^regress: cannot read git:no-such-ref-xyz:requirements\.txt: git show/)]);
  });
});
