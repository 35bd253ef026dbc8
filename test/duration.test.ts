// One duration grammar for every duration option (harness/cli/duration.ts, the `ms` library): the same
// text means the same time in soak, serve and smoke, a bare number is refused everywhere (it would be
// milliseconds to `ms` and seconds to a reader), and a bad value is one line and exit 2 before anything runs.
import { execa } from 'execa';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parseDuration } from '../harness/cli/duration.ts';
import { parseRouteFault as parseFault } from '../fixtures/faults/parse.ts';

const root = join(import.meta.dirname, '..');
const regress = (...args: string[]) => execa(process.execPath, ['bin/regress.js', ...args], { cwd: root, reject: false, timeout: 60_000 });

describe('the duration grammar', () => {
  test.for([
    ['250ms', 250],
    ['10s', 10_000],
    ['1.5s', 1_500],
    ['1.5m', 90_000],
    ['2h', 7_200_000],
    ['5 minutes', 300_000],
  ] as const)('%s is %i ms', ([text, expected]) => {
    expect(parseDuration('--x', text)).toBe(expected);
  });

  test.for(['10', '0s', '-1s', 'soon', '', '1e3ms', '10 parsecs'])('%j is refused, naming the option and the grammar', (text) => {
    expect(() => parseDuration('--x', text)).toThrow(`--x '${text}' is not a duration: a number with a unit, e.g. 250ms, 10s, 1.5m, 2h`);
  });

  test('a fault argument reads the same grammar (serve --route, the fault vocabulary)', () => {
    const msOf = (text: string) => (parseFault(text) as { ms?: number }).ms;
    expect(msOf('delay:1.5m')).toBe(90_000);
    expect(msOf('delay:5 minutes')).toBe(300_000);
    expect(msOf('delay:250ms')).toBe(250);
    expect(() => parseFault('delay:10')).toThrow("bad duration '10': a number with a unit, e.g. 250ms, 10s, 1.5m, 2h");
  });

  test('an upper bound is part of the message', () => {
    expect(() => parseDuration('--timeout', '11m', { maxMs: 600_000 })).toThrow("--timeout '11m' is too long: at most 10 minutes");
  });
});

describe('every duration option reads it', () => {
  // Each command refuses the same bare number with the same line: one grammar, whichever command.
  test.for([
    ['soak', '--duration', ['soak', '--scenario', 'pool-limits', '--duration', '90']],
    ['serve', '--duration', ['serve', '--duration', '90']],
    ['serve', '--idle-close', ['serve', '--idle-close', '90']],
    ['serve', '--keep-alive', ['serve', '--keep-alive', '90']],
    ['smoke', '--timeout', ['smoke', '--url', 'http://127.0.0.1:9', '--timeout', '90']],
    ['smoke', '--max-latency', ['smoke', '--url', 'http://127.0.0.1:9', '--max-latency', '90']],
  ] as const)('%s %s 90: one line, exit 2', async ([, option, args]) => {
    const result = await regress(...args);
    expect(result.exitCode).toBe(2);
    expect(result.stderr.trim()).toBe(`regress: ${option} '90' is not a duration: a number with a unit, e.g. 250ms, 10s, 1.5m, 2h`);
    expect(result.stdout).toBe('');
  });

  test("serve --duration '1500 ms' (a form serve's own grammar refused) stops by itself after 1.5 s", async () => {
    const started = performance.now();
    const result = await regress('serve', '--duration', '1500 ms');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/stops after 1\.5 s or on Ctrl-C/);
    expect(result.stdout).toMatch(/stopping \(--duration 1\.5 s\)/);
    expect(performance.now() - started).toBeGreaterThanOrEqual(1_500);
  });
});
