// A build of the client that cannot be imported must never pass the gate: every case is `error` with the
// import error in its reason, and `regress run` exits 2. The build is a real wheel of the newest release
// with one line added to its __init__.py, made by the sentinel wheel builder.
import { execa } from 'execa';
import { pathToFileURL } from 'node:url';
import { beforeAll, expect, test } from 'vitest';
import { EnvironmentCache, findPython } from '../harness/runtime/python-env.ts';
import { coveredFamilies } from '../harness/scenario-families.ts';
import { loadScenarios } from '../harness/scenarios.ts';
import { SentinelWheels } from '../harness/sentinels/wheel-builder.ts';
import type { CaseResult } from '../harness/types.ts';
import { repeatedCase } from '../harness/soak/gate-repeat.ts';

const MESSAGE = 'sentinel import-failure: this build cannot be imported';
const LINES = [
  { client: 'httpx', core: 'httpcore' },
  { client: 'httpx2', core: 'httpcore2' },
] as const;

const regress = (...args: string[]) =>
  execa(process.execPath, ['bin/regress.js', ...args], { reject: false, cwd: `${import.meta.dirname}/..` });

let specs: string[];

beforeAll(async () => {
  const python = await findPython();
  const wheels = new SentinelWheels(python.path, new EnvironmentCache(python).root);
  specs = await Promise.all(
    LINES.map(async ({ client, core }) => {
      const [version, coreVersion] = await Promise.all([wheels.newest(client), wheels.newest(core)]);
      const built = await wheels.rebuild(client, version, 'sentinel.importfailure', [
        {
          file: `${client}/__init__.py`,
          find: 'from .__version__ import ',
          replace: `raise ImportError(${JSON.stringify(MESSAGE)})\nfrom .__version__ import `,
        },
      ]);
      if (built.kind !== 'built') throw new Error(`the import-failure edit no longer applies to ${client} ${version}`);
      return `${client} @ ${pathToFileURL(built.wheel).href} ${core}==${coreVersion}`;
    }),
  );
});

test('a client that fails to import gets error on every case, with the import error, and exit 2', async () => {
  const { stdout, exitCode } = await regress('run', ...specs.flatMap((s) => ['--client', s]), '--json', '--no-report', '--concurrency', '8');
  const results = (JSON.parse(stdout) as { results: CaseResult[] }).results;
  // Every case, and the gate's leak repetition of each scenario that has one (an error too: same import).
  // Only the scenarios each line's family covers plan jobs for it (a urllib3-only scenario has none).
  const all = await loadScenarios();
  const casesOf = (id: string) =>
    all.filter((s) => coveredFamilies(s).some((f) => f.id === id)).reduce((n, s) => n + s.cases.length + (repeatedCase(s) ? 1 : 0), 0);
  expect(results).toHaveLength(LINES.reduce((n, line) => n + casesOf(line.client), 0));
  for (const r of results) {
    expect(`${r.scenario}/${r.case} × ${r.client.split(' @ ')[0]}: ${r.verdict}`).toMatch(/: error$/);
    expect(r.evidence.reason).toContain(MESSAGE);
  }
  expect(exitCode).toBe(2);
});
