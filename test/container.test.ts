// The container runtime against a real Docker engine and images built from Debian's packages.
// Outside CI, without an engine or the images, these tests skip with one line saying why; in CI a
// skipped container test is a failure (.ci/run starts dockerd and builds the images).
import { execa } from 'execa';
import { beforeAll, describe, expect, test } from 'vitest';
import { ContainerPool, imageTarget, pythonTarget } from '../harness/container/container-runtime.ts';
import { engine, imageExists, MANAGED_LABEL } from '../harness/container/engine.ts';
import { EnvironmentCache, findPython, venvTarget } from '../harness/runtime/python-env.ts';
import { planJobs, runJobs } from '../harness/runner.ts';
import { loadScenarios, selectScenarios } from '../harness/scenarios.ts';
import { parseClientSpec } from '../harness/spec.ts';
import type { CaseResult } from '../harness/types.ts';

const APP = 'regress/app-python3-httpx:bookworm';
const PY313 = 'regress/python:3.13';
const root = `${import.meta.dirname}/..`;

async function whyNotReady(): Promise<string | null> {
  try {
    await engine();
  } catch (error) {
    return (error as Error).message;
  }
  for (const image of [APP, PY313]) if (!(await imageExists(image))) return `image ${image} missing: run npx regress images build`;
  return null;
}
const notReady = await whyNotReady();
const requireReady = (skip: (note: string) => void) => {
  if (!notReady) return;
  if (process.env.CI) throw new Error(`container tests must run in CI: ${notReady}`);
  skip(`container runtime unavailable: ${notReady}`);
};

const verdicts = (results: CaseResult[]) =>
  Object.fromEntries(results.map((r) => [`${r.scenario}/${r.case}`, r.verdict]).sort(([a], [b]) => a!.localeCompare(b!)));

async function leftoverContainers(): Promise<string> {
  const { stdout } = await execa('docker', ['ps', '-a', '--filter', `label=${MANAGED_LABEL}=true`, '--format', '{{.ID}} {{.Image}}']);
  return stdout.trim();
}

describe('canary: a distro-based app image', () => {
  let inImage: CaseResult[] = [];
  let inVenv: CaseResult[] = [];
  beforeAll(async () => {
    if (notReady) return;
    const scenarios = await loadScenarios();
    const pool = new ContainerPool();
    try {
      const cache = new EnvironmentCache(await findPython());
      [inImage, inVenv] = await Promise.all([
        runJobs(planJobs(scenarios, [imageTarget(pool, APP)]), {}),
        runJobs(planJobs(scenarios, [venvTarget(cache, parseClientSpec('httpx==0.23.3 httpcore==0.16.3'))]), {}),
      ]);
    } finally {
      await pool.dispose();
    }
  });

  test("every scenario runs inside the image with Debian's httpx, matching the venv runtime", ({ skip }) => {
    requireReady(skip);
    expect(inImage).toHaveLength(10);
    const installed = inImage[0]!.installed!;
    expect(installed.packages).toMatchObject({ httpx: '0.23.3', httpcore: '0.16.3' });
    expect(installed.runtime).toBe(`container ${APP}`);
    expect(verdicts(inImage)['slow-server-pool-timeout/cancel']).toBe('reproduced');
    expect(verdicts(inImage)).toEqual(verdicts(inVenv));
    expect(inImage.every((r) => r.verdict !== 'error')).toBe(true);
  });

  test('no container is left behind', async ({ skip }) => {
    requireReady(skip);
    expect(await leftoverContainers()).toBe('');
  });
});

describe('Python 3.13 base image', () => {
  let results: CaseResult[] = [];
  beforeAll(async () => {
    if (notReady) return;
    const scenarios = selectScenarios(await loadScenarios(), ['custom-ssl-context']);
    const pool = new ContainerPool();
    try {
      const targets = ['httpx==0.28.1', 'httpx==0.23.0'].map((s) => pythonTarget(pool, '3.13', parseClientSpec(s)));
      results = await runJobs(planJobs(scenarios, targets), {});
    } finally {
      await pool.dispose();
    }
  }, 600_000);

  test('the run CA passes strict X.509 verification (httpx 0.28.1 fixed on every case)', ({ skip }) => {
    requireReady(skip);
    const mine = results.filter((r) => r.client.startsWith('httpx==0.28.1'));
    expect(mine).toHaveLength(5);
    for (const r of mine) expect(r.verdict, r.evidence.reason).toBe('fixed');
    expect(mine[0]!.installed!.python).toMatch(/^3\.13\./);
    expect(mine.find((r) => r.case === 'trusted-ca')!.evidence.client.facts.verify_x509_strict).toBe(true);
  });

  test("httpx 0.23.0 is an error with the 'cgi' import error, never not-applicable", ({ skip }) => {
    requireReady(skip);
    const mine = results.filter((r) => r.client.startsWith('httpx==0.23.0'));
    expect(mine).toHaveLength(5);
    for (const r of mine) {
      expect(r.verdict).toBe('error');
      expect(r.evidence.reason).toMatch(/No module named 'cgi'/);
    }
  });
});

describe('container runtime errors and cleanup', () => {
  const regress = (args: string[], env: Record<string, string> = {}) =>
    execa(process.execPath, ['bin/regress.js', ...args], { cwd: root, reject: false, env });

  test('no Docker engine: exit 2 with one clear line', async () => {
    // Runs everywhere: an unreachable engine is exactly what it checks.
    const { exitCode, stderr } = await regress(['run', '--runtime', 'container', '--image', APP, '--no-report'], {
      DOCKER_HOST: 'tcp://127.0.0.1:1',
    });
    expect(exitCode).toBe(2);
    const lines = stderr.split('\n').filter((l) => l.trim() && !l.startsWith('['));
    expect(lines).toEqual([expect.stringMatching(/^regress: no Docker engine reachable/)]);
  });

  test.for([
    [['--image', 'regress/no-such-image:1'], /^regress: image regress\/no-such-image:1 not found/],
    [['--python', '3.9', '--client', 'httpx2==2.16.2'], /^regress: cannot install 'httpx2==2.16.2' in regress\/python:3\.9: Python 3\.9\.\d+ is too old \(httpx2 2\.16\.2 requires Python >=3\.11\)/],
    [[], /^regress: --runtime container needs --image/],
  ] as const)('bad input %j: exit 2 with one clear line', async ([args, message], { skip }) => {
    requireReady(skip);
    const { exitCode, stderr } = await regress(['run', '--runtime', 'container', ...args, '--scenario', 'pool-limits', '--no-report']);
    expect(exitCode).toBe(2);
    const lines = stderr.split('\n').filter((l) => l.trim() && !l.startsWith('['));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
  });

  test('an image without Python: exit 2 with one clear line', async ({ skip }) => {
    requireReady(skip);
    const { stdout: id } = await execa('docker', ['create', PY313, 'true']);
    const image = 'regress/test-no-python:latest';
    try {
      // A copy of the base image with its interpreter removed.
      await execa('docker', ['start', '-a', id.trim()]);
      await execa('docker', ['commit', '--change', 'CMD ["true"]', id.trim(), image]);
      const cid = (await execa('docker', ['run', '-d', image, 'sleep', '30'])).stdout.trim();
      await execa('docker', ['exec', cid, 'sh', '-c', 'rm -f /usr/bin/python3*']);
      await execa('docker', ['commit', cid, image]);
      await execa('docker', ['rm', '-f', cid]);
      const { exitCode, stderr } = await regress(['run', '--runtime', 'container', '--image', image, '--scenario', 'pool-limits', '--no-report']);
      expect(exitCode).toBe(2);
      const lines = stderr.split('\n').filter((l) => l.trim() && !l.startsWith('['));
      expect(lines).toEqual([expect.stringMatching(/^regress: image regress\/test-no-python:latest has no Python at 'python3'/)]);
    } finally {
      await execa('docker', ['rm', '-f', id.trim()], { reject: false });
      await execa('docker', ['rmi', '-f', image], { reject: false });
    }
  });

  test('Ctrl-C during a container run leaves no container behind', async ({ skip }) => {
    requireReady(skip);
    const child = execa(process.execPath, ['bin/regress.js', 'run', '--runtime', 'container', '--image', APP, '--no-report'], {
      cwd: root,
      reject: false,
    });
    // Wait until the container exists, then interrupt mid-run (the keep-alive case idles 6 s).
    for (let i = 0; i < 100 && !(await leftoverContainers()); i++) await new Promise((r) => setTimeout(r, 100));
    expect(await leftoverContainers()).not.toBe('');
    await new Promise((r) => setTimeout(r, 2000));
    child.kill('SIGINT');
    const { exitCode } = await child;
    expect(exitCode).toBe(130);
    expect(await leftoverContainers()).toBe('');
  });
});
