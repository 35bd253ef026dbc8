// `regress smoke --runtime container --image regress/app-python3-httpx:bookworm`: the checks run with the
// image's own Python, OpenSSL, httpx (Debian's 0.23.3) and trust store, against canaries on the host's
// loopback (the container shares the host network). Outside CI, without an engine or the image, these
// tests skip with one line saying why; in CI a skipped container test is a failure.
import { execa } from 'execa';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MANAGED_LABEL, PID_LABEL } from '../harness/container/engine.ts';
import { containerReadiness } from './support/container-readiness.ts';
import type { CanaryService } from '../fixtures/canary-service.ts';
import { type Canaries, causeOf, explain, ROOT, smoke, type SmokeRun, startCanaries } from './support/smoke-canaries.ts';

const APP = 'regress/app-python3-httpx:bookworm';

const { notReady, requireReady } = await containerReadiness([APP]);

/** Containers these regress processes started and left (the machine is shared: others' are not counted). */
async function leftoverContainers(pids: number[]): Promise<string> {
  const { stdout } = await execa('docker', ['ps', '-a', '--filter', `label=${MANAGED_LABEL}=true`, '--format', `{{.ID}} {{.Image}} {{.Label "${PID_LABEL}"}}`]);
  return stdout.split('\n').filter((line) => pids.includes(Number(line.split(' ')[2]))).join('\n');
}

describe(`regress smoke inside ${APP}`, () => {
  let canaries: Canaries;
  let snapshot: string;
  let good: CanaryService;
  const runs = new Map<string, SmokeRun>();
  const inImage = (url: string, ...extra: string[]) => [
    '--url', url, '--runtime', 'container', '--image', APP, '--min-days', '3',
    '--health', '/healthz', '--openapi', '/openapi.json', '--snapshot', snapshot, ...extra,
  ];

  beforeAll(async () => {
    if (notReady) return;
    canaries = await startCanaries();
    snapshot = join(canaries.tmp, 'snapshot.json');
    const { certs, otherCerts } = canaries;
    const ca = ['--ca', certs.ca.certPath];
    good = await canaries.serve(certs.trusted);
    // The snapshot from the good canary, taken by the image's client itself.
    runs.set('update', await smoke(inImage(good.url, ...ca, '--update-snapshot'), canaries.tmp));
    const variants: [string, Promise<CanaryService>, string[]][] = [
      ['good', Promise.resolve(good), ca],
      ['expired', canaries.serve(certs.expired), ca],
      ['wrongHost', canaries.serve(certs.wrongHost), ca],
      // No --ca: the image's own trust store (Debian's ca-certificates) has never heard of the run CA.
      ['untrustedByImage', Promise.resolve(good), []],
      // With --ca: a leaf from another CA than the one given.
      ['otherCa', canaries.serve(otherCerts.trusted), ca],
      ['breaking', canaries.serve(certs.trusted, { breaking: true }), ca],
      ['unhealthy', canaries.serve(certs.trusted, { healthStatus: 503 }), ca],
    ];
    // Two at a time: each run is a Node process, a container and a few Python processes on 2 shared cores.
    for (let i = 0; i < variants.length; i += 2) {
      await Promise.all(variants.slice(i, i + 2).map(async ([name, service, extra]) => runs.set(name, await smoke(inImage((await service).url, ...extra), canaries.tmp))));
    }
  }, 600_000);
  afterAll(() => canaries?.close());

  test("a good canary passes with Debian's httpx in the image (exit 0)", ({ skip }) => {
    requireReady(skip);
    const update = runs.get('update')!;
    expect(update.exitCode, explain(update)).toBe(0);
    const run = runs.get('good')!;
    expect(run.exitCode, explain(run)).toBe(0);
    for (const r of run.results) expect(r.verdict, `${r.case}: ${r.evidence.reason}`).toBe('fixed');
    const installed = run.results[0]!.installed!;
    expect(installed.runtime).toBe(`container ${APP}`);
    expect(installed.packages).toMatchObject({ httpx: '0.23.3', httpcore: '0.16.3' });
    const handshake = run.check('tls').evidence.details!.handshake as { version: string; certificate: { subject: string } };
    expect(handshake.version).toMatch(/^TLSv1\.[23]$/);
    expect(handshake.certificate.subject).toBe('CN=localhost');
    expect(good.requests).toEqual(expect.arrayContaining(['GET /healthz', 'GET /openapi.json']));
  });

  test.for([
    ['expired', 'tls', 'expired'],
    ['wrongHost', 'tls', 'hostname-mismatch'],
    ['untrustedByImage', 'tls', 'unknown-ca'],
    ['otherCa', 'tls', 'unknown-ca'],
    ['breaking', 'openapi', 'openapi-breaking'],
    ['unhealthy', 'health', 'health-status'],
  ] as const)('%s: exit 1, %s reproduced with cause %s', ([variant, check, cause], { skip }) => {
    requireReady(skip);
    const run = runs.get(variant)!;
    expect(run.exitCode, explain(run)).toBe(1);
    expect(run.check(check).verdict, explain(run)).toBe('reproduced');
    expect(causeOf(run.check(check)), explain(run)).toBe(cause);
    expect(run.results.every((r) => r.verdict !== 'error'), explain(run)).toBe(true);
  });

  test("without --ca the image's default trust is recorded: Debian's bundle", ({ skip }) => {
    requireReady(skip);
    const handshake = runs.get('untrustedByImage')!.check('tls').evidence.details!.handshake as { trust: { default: { certifi: string } } };
    expect(handshake.trust.default.certifi).toBe('/etc/ssl/certs/ca-certificates.crt');
  });

  test('no container is left behind', async ({ skip }) => {
    requireReady(skip);
    expect(runs.size).toBe(8);
    expect(await leftoverContainers([...runs.values()].map((r) => r.pid))).toBe('');
  });

  test('Ctrl-C while a check waits on the canary: exit 130, the container removed', async ({ skip }) => {
    requireReady(skip);
    const slow = await canaries.serve(canaries.certs.trusted, { slowHealthMs: 60_000 });
    const child = execa(process.execPath, ['bin/regress.js', 'smoke', '--url', slow.url, '--runtime', 'container', '--image', APP,
      '--ca', canaries.certs.ca.certPath, '--min-days', '3', '--health', '/healthz', '--timeout', '120s', '--no-report'], { cwd: ROOT, reject: false });
    for (let i = 0; i < 900 && !slow.requests.includes('GET /healthz'); i++) await new Promise((r) => setTimeout(r, 100));
    expect(slow.requests).toContain('GET /healthz');
    expect(await leftoverContainers([child.pid!])).not.toBe('');
    child.kill('SIGINT');
    const { exitCode, stderr } = await child;
    expect(exitCode, stderr).toBe(130);
    expect(await leftoverContainers([child.pid!])).toBe('');
  }, 120_000);
});
