// The container runtime against a real Docker engine and images built from Debian's packages.
// Outside CI, without an engine or the images, these tests skip with one line saying why; in CI a
// skipped container test is a failure (.ci/run starts dockerd and builds the images).
import { execa } from 'execa';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { ContainerPool, imageTarget, pythonTarget } from '../harness/container/container-runtime.ts';
import { MANAGED_LABEL } from '../harness/container/engine.ts';
import { containerReadiness } from './support/container-readiness.ts';
import { EnvironmentCache, findPython, venvTarget } from '../harness/runtime/python-env.ts';
import { planJobs, runJobs } from '../harness/runner.ts';
import { coveredFamilies } from '../harness/scenario-families.ts';
import { loadScenarios, selectScenarios } from '../harness/scenarios.ts';
import { parseClientSpec } from '../harness/spec.ts';
import type { CaseResult } from '../harness/types.ts';

const APP = 'regress/app-python3-httpx:bookworm';
const PY313 = 'regress/python:3.13';
const root = `${import.meta.dirname}/..`;

const { notReady, requireReady } = await containerReadiness([APP, PY313]);

const verdicts = (results: CaseResult[]) =>
  Object.fromEntries(results.map((r) => [`${r.scenario}/${r.case}`, r.verdict]).sort(([a], [b]) => a!.localeCompare(b!)));

async function leftoverContainers(): Promise<string> {
  const { stdout } = await execa('docker', ['ps', '-a', '--filter', `label=${MANAGED_LABEL}=true`, '--format', '{{.ID}} {{.Image}}']);
  return stdout.trim();
}

describe('canary: a distro-based app image', () => {
  let inImage: CaseResult[] = [];
  let inVenv: CaseResult[] = [];
  let scenarios: Awaited<ReturnType<typeof loadScenarios>> = [];
  beforeAll(async () => {
    if (notReady) return;
    // The image ships Debian's httpx: the scenarios the httpx family covers (not the urllib3-only ones).
    scenarios = (await loadScenarios()).filter((s) => coveredFamilies(s).some((f) => f.id === 'httpx'));
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
    expect(inImage).toHaveLength(scenarios.reduce((n, s) => n + s.cases.length, 0));
    const installed = inImage[0]!.installed!;
    expect(installed.packages).toMatchObject({ httpx: '0.23.3', httpcore: '0.16.3' });
    expect(installed.runtime).toBe(`container ${APP}`);
    expect(verdicts(inImage)['slow-server-pool-timeout/cancel']).toBe('reproduced');
    // An image's own client cannot gain an extra: where the venv installs httpx[http2], the image is
    // compared only when it ships h2 itself.
    const needsExtras = new Set(scenarios.filter((s) => s.meta.requires?.extras).map((s) => s.meta.id));
    const comparable = (rs: CaseResult[]) => verdicts(rs.filter((r) => !needsExtras.has(r.scenario) || installed.packages.h2));
    expect(comparable(inImage)).toEqual(comparable(inVenv));
    expect(inImage.every((r) => r.verdict !== 'error'), inImage.filter((r) => r.verdict === 'error').map((r) => `${r.scenario}/${r.case}: ${r.evidence.reason}`).join('\n')).toBe(true);
  });

  test('no container is left behind', async ({ skip }) => {
    requireReady(skip);
    expect(await leftoverContainers()).toBe('');
  });
});

describe('Python 3.13 base image', () => {
  let results: CaseResult[] = [];
  let caseCount = 0;
  beforeAll(async () => {
    if (notReady) return;
    const scenarios = selectScenarios(await loadScenarios(), ['custom-ssl-context']);
    caseCount = scenarios[0]!.cases.length;
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
    expect(mine).toHaveLength(caseCount);
    for (const r of mine) expect(r.verdict, r.evidence.reason).toBe('fixed');
    expect(mine[0]!.installed!.python).toMatch(/^3\.13\./);
    expect(mine.find((r) => r.case === 'trusted-ca')!.evidence.client.facts.verify_x509_strict).toBe(true);
  });

  test("httpx 0.23.0 is an error with the 'cgi' import error, never not-applicable", ({ skip }) => {
    requireReady(skip);
    const mine = results.filter((r) => r.client.startsWith('httpx==0.23.0'));
    expect(mine).toHaveLength(caseCount);
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
    // Only the keep-alive case (fixed on the image's httpx, and idling 6 s): with the warm worker the quick
    // cases finish within the 2 s below, and a reproduced one rightly makes the exit code 1, not 130.
    const child = execa(process.execPath, ['bin/regress.js', 'run', '--runtime', 'container', '--image', APP, '--scenario', 'keepalive-expiry', '--no-report'], {
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

describe('container runtime reliability', () => {
  /** Containers a given harness process left on the engine (the engine may be shared with other runs). */
  async function containersOf(pid: number): Promise<string> {
    const { stdout } = await execa('docker', ['ps', '-a', '--filter', `label=org.regress.pid=${pid}`, '--format', '{{.ID}} {{.Status}}']);
    return stdout.trim();
  }

  test('Ctrl-C during a --python image build: exit 130 with the report, no container left', async ({ skip }) => {
    requireReady(skip);
    const reports = await mkdtemp(join(tmpdir(), 'regress-container-interrupt-'));
    // A spec no earlier run has built, so the build really runs: an exclusion that changes nothing.
    const spec = `httpx==0.28.1 idna!=0.0.${Date.now()}`;
    try {
      let seen = '';
      const child = execa(process.execPath, ['bin/regress.js', 'run', '--runtime', 'container', '--python', '3.13', '--client', spec, '--scenario', 'pool-limits', '--reports', reports], {
        cwd: root,
        reject: false,
      });
      child.stderr!.on('data', (chunk: Buffer) => (seen += chunk.toString()));
      for (let i = 0; i < 600 && !/installing .* for Python 3\.13/.test(seen); i++) await new Promise((r) => setTimeout(r, 100));
      expect(seen).toMatch(/installing .* for Python 3\.13/);
      await new Promise((r) => setTimeout(r, 1500));
      child.kill('SIGINT');
      const { exitCode, stderr } = await child;
      expect(exitCode, stderr).toBe(130);
      expect(stderr).toMatch(/interrupted/);
      expect(stderr).not.toMatch(/^regress: *$/m);
      const [runId] = await readdir(reports);
      const { run } = JSON.parse(await readFile(join(reports, runId!, 'results.json'), 'utf8'));
      expect(run.interrupted).toBe(true);
      expect(await containersOf(child.pid!)).toBe('');
    } finally {
      await rm(reports, { recursive: true, force: true });
    }
  }, 300_000);

  test('an image that cannot start: one line, and no Created container left', async ({ skip }) => {
    requireReady(skip);
    // An empty file system: the container is created, but `sleep` cannot be started in it.
    const image = 'regress/test-cannot-start:latest';
    const dir = await mkdtemp(join(tmpdir(), 'regress-empty-image-'));
    try {
      await execa('tar', ['-cf', join(dir, 'empty.tar'), '-T', '/dev/null']);
      await execa('docker', ['import', join(dir, 'empty.tar'), image]);
      const child = execa(process.execPath, ['bin/regress.js', 'run', '--runtime', 'container', '--image', image, '--scenario', 'pool-limits', '--no-report'], {
        cwd: root,
        reject: false,
      });
      const { exitCode, stderr } = await child;
      expect(stderr.split('\n').filter((l) => l.trim() && !l.startsWith('['))).toEqual([
        expect.stringMatching(/^regress: cannot start a container from regress\/test-cannot-start:latest/),
      ]);
      expect(exitCode).toBe(2);
      expect(await containersOf(child.pid!)).toBe('');
    } finally {
      await execa('docker', ['rmi', '-f', image], { reject: false });
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);

  test("an image whose httpx fails to import: the probe records the import error", async ({ skip }) => {
    requireReady(skip);
    const image = 'regress/test-import-fails:latest';
    const cid = (await execa('docker', ['run', '-d', APP, 'sleep', '60'])).stdout.trim();
    const pool = new ContainerPool();
    try {
      await execa('docker', ['exec', cid, 'sh', '-c', `sed -i '1i raise ImportError("sentinel: this build cannot import")' /usr/lib/python3/dist-packages/httpx/__init__.py`]);
      await execa('docker', ['commit', cid, image]);
      const ready = await imageTarget(pool, image).prepare();
      expect(ready.installed.packages.httpx).toBe('0.23.3');
      expect(ready.installed.importError).toBe('ImportError: sentinel: this build cannot import');
    } finally {
      await pool.dispose();
      await execa('docker', ['rm', '-f', cid], { reject: false });
      await execa('docker', ['rmi', '-f', image], { reject: false });
    }
  }, 120_000);
});
