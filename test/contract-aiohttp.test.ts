// The aiohttp contract's kinds (families/aiohttp/regress_aiohttp.py) on real exceptions of a real release:
// test/python/check_regress_aiohttp.py, run with the Python of an environment the harness installs, in the
// environment a client process gets (no trust or proxy settings of the shell).
import { execa } from 'execa';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { sanitisedEnvironment } from '../harness/runtime/client-process.ts';
import { EnvironmentCache, findPython } from '../harness/runtime/python-env.ts';
import { parseClientSpec } from '../harness/spec.ts';

test.for(['aiohttp==3.14.5', 'aiohttp==3.9.5'])('%s: every kind the contract maps, on the exception the release raises', { timeout: 300_000 }, async (spec) => {
  const env = await new EnvironmentCache(await findPython()).ensure(parseClientSpec(spec));
  const run = await execa(env.python, [join(import.meta.dirname, 'python', 'check_regress_aiohttp.py')], {
    reject: false,
    // openssl makes the run's certificates: the shell's PATH finds it.
    env: { ...sanitisedEnvironment('aiohttp'), PATH: process.env.PATH ?? '' },
    extendEnv: false,
  });
  expect(run.exitCode, `${run.stdout}\n${run.stderr}`).toBe(0);
  expect(run.stdout).toMatch(/certificate/);
  expect(run.stdout).toMatch(/pool-timeout/);
});
