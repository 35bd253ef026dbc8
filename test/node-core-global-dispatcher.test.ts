// The Node contract must not change which undici a client release's requests go through. Every undici in a
// process shares one global dispatcher (Symbol.for('undici.globalDispatcher.1')); on Node 22 and later an
// ESM import of node:http reads its lazy `WebSocket` export, which loads Node's bundled undici and installs
// its Agent there. A release under test then sends any request without a dispatcher through Node's undici.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { expect, test } from 'vitest';

const run = promisify(execFile);
const probe = (module: string): string =>
  `await import(${JSON.stringify(module)}); console.log(JSON.stringify(globalThis[Symbol.for('undici.globalDispatcher.1')] !== undefined));`;

test('importing node:http as an ES module installs a global dispatcher on this Node (the hazard is real)', async () => {
  const major = Number(process.versions.node.split('.')[0]);
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', probe('node:http')]);
  expect(JSON.parse(stdout)).toBe(major >= 22);
});

test('the Node contract core leaves the global dispatcher unset', async () => {
  const core = pathToFileURL(join(import.meta.dirname, '..', 'harness', 'node', 'regress-core.mjs')).href;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', probe(core)]);
  expect(JSON.parse(stdout)).toBe(false);
});
