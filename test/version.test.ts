// `regress --version`, and the Node check of bin/regress.js: its message quotes package.json's "engines"
// (read, not restated), so what the user is told is what npm is told.
import { execa } from 'execa';
import { cp, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const root = join(import.meta.dirname, '..');
let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'regress-version-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('--version', () => {
  test.for(['--version', '-V'])('%s prints package.json\'s version, exit 0', async (flag) => {
    const { version } = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { version: string };
    const result = await execa(process.execPath, [join(root, 'bin', 'regress.js'), flag], { cwd: scratch, reject: false });
    expect(result.exitCode).toBe(0);
    expect(result.stdout.trim()).toBe(version);
    expect(result.stderr).toBe('');
  });
});

describe('the Node version check', () => {
  test('a Node outside "engines" is refused with the engines range itself, exit 2', async () => {
    // A copy of the package whose engines exclude every Node: the message must quote that range.
    const pkg = join(scratch, 'pkg');
    await cp(join(root, 'bin'), join(pkg, 'bin'), { recursive: true });
    const manifest = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { engines: { node: string } };
    manifest.engines.node = '>=99.1.0 || ^98.0.0';
    await writeFile(join(pkg, 'package.json'), JSON.stringify(manifest));
    await symlink(join(root, 'node_modules'), join(pkg, 'node_modules'));
    // REGRESS_OWN_NODE: as if already handed over, so no other Node is looked for.
    const result = await execa(process.execPath, [join(pkg, 'bin', 'regress.js'), 'list'], { cwd: scratch, reject: false, env: { REGRESS_OWN_NODE: '1' } });
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim()).toBe(
      `regress: Node ${process.versions.node} is not supported (package.json "engines": node >=99.1.0 || ^98.0.0); run it with such a Node first on PATH, or through npx or npm in a checkout that brings its own`,
    );
  });

  test('the Node running the tests satisfies "engines" and runs regress', async () => {
    const result = await execa(process.execPath, [join(root, 'bin', 'regress.js'), 'list', '--json'], { cwd: scratch, reject: false, env: { REGRESS_OWN_NODE: '1' } });
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout).scenarios.length).toBeGreaterThan(0);
  });
});
