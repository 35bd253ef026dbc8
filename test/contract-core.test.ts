// The shared client contract's error kinds (harness/python/regress_core.py) on real standard-library
// exceptions, raised by real code paths on loopback: test/python/check_regress_core.py, run here so CI runs it.
import { execa } from 'execa';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { sanitisedEnvironment } from '../harness/runtime/client-process.ts';

test('regress_core classifies refused, hung-up, timed-out, malformed, corrupt and TLS failures into the shared kinds', async () => {
  const run = await execa('python3', [join(import.meta.dirname, 'python', 'check_regress_core.py')], {
    reject: false,
    // As a client process gets it (no trust or proxy settings of the shell), with the shell's PATH to find python3.
    env: { ...sanitisedEnvironment(null), PATH: process.env.PATH ?? '' },
    extendEnv: false,
  });
  expect(run.exitCode, `${run.stdout}\n${run.stderr}`).toBe(0);
  expect(run.stdout).toMatch(/^refused\s+connect\s*$/m);
  expect(run.stdout).toMatch(/^read timeout\s+read-timeout\s*$/m);
  expect(run.stdout).toMatch(/^0 failure\(s\)$/m);
}, 60_000);
