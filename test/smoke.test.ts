// `regress smoke` in the venv runtime, through the real CLI, against local canaries (fastify +
// @fastify/swagger on 127.0.0.1, served with this run's certificates): a good canary passes, and each bad
// variant fails with its own cause in results.json. The client is a real httpx release.
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type CanaryService, startCanaryService } from '../fixtures/canary-service.ts';
import { uncheckedClients } from '../harness/cli/smoke-command.ts';
import { compareShapes, shapeOf } from '../harness/smoke/json-shape.ts';
import { compareOpenApi } from '../harness/smoke/openapi-diff.ts';
import { handshakeCause, judgeTls } from '../harness/smoke/tls-check.ts';
import type { ClientStep } from '../harness/types.ts';
import { type Canaries, causeOf, explain, ROOT, smoke, type SmokeRun, startCanaries } from './support/smoke-canaries.ts';

const CLIENT = 'httpx==0.28.1';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
let canaries: Canaries;
let snapshot: string;
let good: CanaryService;
/** Every check, with the run CA trusted; --min-days 3 because the run's certificates live 7 days. */
let checks: (url: string, ...extra: string[]) => string[];

beforeAll(async () => {
  canaries = await startCanaries();
  snapshot = join(canaries.tmp, 'canary-snapshot.json');
  good = await canaries.serve(canaries.certs.trusted);
  checks = (url, ...extra) => [
    '--url', url, '--client', CLIENT, '--ca', canaries.certs.ca.certPath, '--min-days', '3',
    '--health', '/healthz', '--openapi', '/openapi.json', '--shape', '/api/items', '--snapshot', snapshot, ...extra,
  ];
});
afterAll(() => canaries?.close());

describe('regress smoke against a good canary', () => {
  let update: SmokeRun;
  let run: SmokeRun;
  beforeAll(async () => {
    // The snapshot is taken from the good canary by smoke itself, then compared.
    update = await smoke(checks(good.url, '--update-snapshot'), canaries.tmp);
    run = await smoke(checks(good.url), canaries.tmp);
  });

  test('--update-snapshot writes the OpenAPI document and the shape, atomically', async () => {
    expect(update.exitCode, explain(update)).toBe(0);
    expect(update.stderr).toMatch(/snapshot: wrote .*canary-snapshot\.json \(openapi, shape \/api\/items\)/);
    const written = JSON.parse(await readFile(snapshot, 'utf8'));
    expect(written.format).toBe('regress-smoke-snapshot/1');
    expect(written.openapi.path).toBe('/openapi.json');
    expect(Object.keys(written.openapi.document.paths)).toEqual(expect.arrayContaining(['/healthz', '/api/items', '/api/items/{id}']));
    expect(written.shapes['/api/items']).toEqual([{ id: 'number', name: 'string', price: 'number', tags: ['string'] }]);
    // No temporary file of the atomic write is left beside it.
    expect((await readdir(canaries.tmp)).filter((f) => f.startsWith('canary-snapshot'))).toEqual(['canary-snapshot.json']);
  });

  test('passes every check (exit 0), each fixed with the evidence recorded', () => {
    expect(run.exitCode, explain(run)).toBe(0);
    expect(run.results.map((r) => r.case).sort()).toEqual(['health /healthz', 'openapi /openapi.json', 'shape /api/items', 'tls']);
    for (const r of run.results) expect(r.verdict, `${r.case}: ${r.evidence.reason}`).toBe('fixed');
    expect(run.results[0]!.installed!.packages.httpx).toBe('0.28.1');
    // The client really called the canary: the server saw each check's request.
    expect(good.requests).toEqual(expect.arrayContaining(['GET /healthz', 'GET /openapi.json', 'GET /api/items']));
  });

  test('the TLS check records the real handshake: protocol, cipher, certificate, the client agreeing', () => {
    const tls = run.check('tls');
    const handshake = tls.evidence.details!.handshake as Record<string, any>;
    expect(handshake.version).toMatch(/^TLSv1\.[23]$/);
    expect(handshake.cipher.name).toMatch(/\w/);
    expect(handshake.cipher.bits).toBeGreaterThanOrEqual(128);
    expect(handshake.certificate).toMatchObject({ subject: 'CN=localhost', issuer: 'CN=regress per-run test CA' });
    expect(handshake.certificate.daysLeft).toBeGreaterThanOrEqual(5);
    expect(handshake.certificate.subjectAltNames).toContain('ip:127.0.0.1');
    expect(handshake.trust).toEqual({ ca: canaries.certs.ca.certPath });
    expect(handshake.sslContext).toBe('httpx.create_ssl_context');
    expect(handshake.clientRequest).toMatch(/^status \d+ over HTTP\/1\.1$/);
  });

  test('health records status, latency and the negotiated protocol', () => {
    const health = run.check('health');
    expect(health.evidence.details!.response).toMatchObject({ status: 200, httpVersion: 'HTTP/1.1' });
    expect((health.evidence.details!.response as { latencyMs: number }).latencyMs).toBeGreaterThan(0);
  });

  test('the default --min-days (14) fails a certificate that expires in 7 days: expiring-soon', async () => {
    const args = checks(good.url).filter((a, i, all) => a !== '--min-days' && all[i - 1] !== '--min-days');
    const soon = await smoke(args, canaries.tmp);
    expect(soon.exitCode, explain(soon)).toBe(1);
    expect(soon.check('tls').verdict).toBe('reproduced');
    expect(causeOf(soon.check('tls'))).toBe('expiring-soon');
    expect(soon.check('health').verdict).toBe('fixed');
  });
});

describe('regress smoke: each bad canary fails with its own cause', () => {
  // The good canary's checks must already pass (the snapshot comes from it); each variant changes one thing.
  beforeAll(async () => {
    if (!existsSync(snapshot)) await smoke(checks(good.url, '--update-snapshot'), canaries.tmp);
  });

  test.for([
    ['an expired certificate', 'expired', 'tls', 'expired'],
    ['a certificate for another host', 'wrongHost', 'tls', 'hostname-mismatch'],
    ['a certificate from a CA the client does not trust', 'otherCa', 'tls', 'unknown-ca'],
    ['a breaking OpenAPI change', 'breaking', 'openapi', 'openapi-breaking'],
    ['a failing health check', 'unhealthy', 'health', 'health-status'],
    ['a changed JSON shape', 'shapeChange', 'shape', 'shape-changed'],
  ] as const)('%s: exit 1, %s → %s reproduced with cause %s', async ([, variant, check, cause]) => {
    const { certs, otherCerts } = canaries;
    const service = await {
      expired: () => canaries.serve(certs.expired),
      wrongHost: () => canaries.serve(certs.wrongHost),
      otherCa: () => canaries.serve(otherCerts.trusted),
      breaking: () => canaries.serve(certs.trusted, { breaking: true }),
      unhealthy: () => canaries.serve(certs.trusted, { healthStatus: 503 }),
      shapeChange: () => canaries.serve(certs.trusted, { shapeChange: true }),
    }[variant]();
    const run = await smoke(checks(service.url), canaries.tmp);
    expect(run.exitCode, explain(run)).toBe(1);
    const failed = run.check(check);
    expect(failed.verdict, explain(run)).toBe('reproduced');
    expect(causeOf(failed)).toBe(cause);
    expect(failed.evidence.reason.startsWith(`${cause}: `)).toBe(true);
    const tlsOk = ['breaking', 'unhealthy', 'shapeChange'].includes(variant);
    // Certificate variants: the handshake failed, so every request check failed at the TLS layer too.
    // Content variants: only the changed check fails; the rest still pass.
    for (const r of run.results.filter((x) => x !== failed)) {
      if (tlsOk) expect(r.verdict, `${r.case}: ${r.evidence.reason}`).toBe('fixed');
      else expect(causeOf(r), `${r.case}: ${r.evidence.reason}`).toBe('tls');
    }
    if (variant === 'breaking') {
      const changes = failed.evidence.details!.changes as { breaking: { description: string }[] };
      const text = changes.breaking.map((c) => c.description).join('\n');
      expect(text).toMatch(/Removed\] operation DELETE \/api\/items\/\{id\}/);
      expect(text).toMatch(/\[Added\] required query parameter `fields`/);
    }
    if (variant === 'expired' || variant === 'wrongHost' || variant === 'otherCa') {
      const handshake = failed.evidence.details!.handshake as { verifyCode: number; certificate: { subject: string } };
      expect(handshake.verifyCode).toBe({ expired: 10, wrongHost: 64, otherCa: 20 }[variant]);
      // What was served is still shown: the unverified leaf.
      expect(handshake.certificate.subject).toBe({ expired: 'CN=expired-localhost', wrongHost: 'CN=wrong.host.invalid', otherCa: 'CN=localhost' }[variant]);
    }
  });

  test('the client default trust (certifi in a venv) does not know the run CA: unknown-ca without --ca', async () => {
    const run = await smoke(['--url', good.url, '--client', CLIENT, '--health', '/healthz'], canaries.tmp);
    expect(run.exitCode, explain(run)).toBe(1);
    expect(causeOf(run.check('tls'))).toBe('unknown-ca');
    const handshake = run.check('tls').evidence.details!.handshake as { trust: { default: { certifi: string } } };
    expect(handshake.trust.default.certifi).toMatch(/certifi\/cacert\.pem$/);
  });

  test('a release from before create_ssl_context (0.13.3) handshakes with its own SSLConfig context', async () => {
    const run = await smoke(['--url', good.url, '--client', 'httpx==0.13.3', '--ca', canaries.certs.ca.certPath, '--min-days', '3', '--health', '/healthz'], canaries.tmp);
    expect(run.exitCode, explain(run)).toBe(0);
    expect((run.check('tls').evidence.details!.handshake as { sslContext: string }).sslContext).toBe('httpx._config.SSLConfig.load_ssl_context');
    expect(run.check('health').installed!.packages.httpx).toBe('0.13.3');
  });

  test('--http2: the negotiated protocol is recorded (h2 by ALPN, HTTP/2 on the health path)', async () => {
    const h2 = await startCanaryService({ tls: { cert: canaries.certs.trusted.cert, key: canaries.certs.trusted.key }, http2: true });
    try {
      const base = ['--url', h2.url, '--ca', canaries.certs.ca.certPath, '--min-days', '3', '--health', '/healthz'];
      const [offered, plain] = await Promise.all([
        smoke([...base, '--client', 'httpx[http2]==0.28.1', '--http2'], canaries.tmp),
        smoke([...base, '--client', CLIENT], canaries.tmp),
      ]);
      expect(offered.exitCode, explain(offered)).toBe(0);
      expect(offered.check('health').evidence.details!.response).toMatchObject({ status: 200, httpVersion: 'HTTP/2' });
      expect((offered.check('tls').evidence.details!.handshake as { alpn: string }).alpn).toBe('h2');
      expect(plain.exitCode, explain(plain)).toBe(0);
      expect(plain.check('health').evidence.details!.response).toMatchObject({ status: 200, httpVersion: 'HTTP/1.1' });
    } finally {
      await h2.close();
    }
  });

  test('non-breaking OpenAPI changes are listed and pass', async () => {
    const service = await canaries.serve(canaries.certs.trusted, { additive: true });
    const run = await smoke(checks(service.url), canaries.tmp);
    expect(run.exitCode, explain(run)).toBe(0);
    const openapi = run.check('openapi');
    expect(openapi.verdict).toBe('fixed');
    const other = (openapi.evidence.details!.changes as { other: { type: string; description: string }[] }).other;
    expect(other.map((c) => c.description)).toEqual(expect.arrayContaining([expect.stringMatching(/Added\] operation GET \/api\/stats/)]));
    expect(other.every((c) => c.type !== 'breaking')).toBe(true);
    expect(run.stdout).toMatch(/openapi \/openapi\.json × httpx==0\.28\.1: non-breaking \[Added\] operation GET \/api\/stats/);
  });

  test('a canary that speaks plain HTTP on its https:// URL: handshake-refused', async () => {
    const plain = await startCanaryService({});
    try {
      const run = await smoke(['--url', plain.url.replace('http:', 'https:'), '--client', CLIENT, '--ca', canaries.certs.ca.certPath, '--health', '/healthz'], canaries.tmp);
      expect(run.exitCode, explain(run)).toBe(1);
      expect(causeOf(run.check('tls'))).toBe('handshake-refused');
      expect(causeOf(run.check('health'))).toBe('tls');
    } finally {
      await plain.close();
    }
  });

  test('a canary that is not listening: unreachable', async () => {
    const gone = await canaries.serve(canaries.certs.trusted);
    await gone.close();
    const run = await smoke(['--url', gone.url, '--client', CLIENT, '--ca', canaries.certs.ca.certPath, '--health', '/healthz'], canaries.tmp);
    expect(run.exitCode, explain(run)).toBe(1);
    expect(causeOf(run.check('tls'))).toBe('unreachable');
    expect(causeOf(run.check('health'))).toBe('unreachable');
  });
});

describe('regress smoke never passes unchecked', () => {
  test('--http2 with a client without h2 against an expired certificate: the TLS check still runs (exit 1), the rest is one line', async () => {
    const expired = await canaries.serve(canaries.certs.expired);
    const run = await smoke(['--url', expired.url, '--client', CLIENT, '--http2', '--ca', canaries.certs.ca.certPath, '--health', '/healthz', '--health', '/readyz'], canaries.tmp);
    expect(run.exitCode, explain(run)).toBe(1);
    expect(run.check('tls').verdict).toBe('reproduced');
    expect(causeOf(run.check('tls'))).toBe('expired');
    const handshake = run.check('tls').evidence.details!.handshake as { http2: { requested: boolean; usable: boolean; why: string } };
    expect(handshake.http2).toMatchObject({ requested: true, usable: false });
    expect(handshake.http2.why).toMatch(/h2 package is not installed/);
    for (const path of ['/healthz', '/readyz']) expect(run.check(`health ${path}`).verdict).toBe('not-applicable');
    // The health checks over HTTP/2 were asked for and did not run: an error row says so (exit 1 still wins).
    expect(run.check('http2 not checked').verdict).toBe('error');
    const lines = run.stdout.split('\n').filter((l) => l.startsWith('  --http2:'));
    expect(lines, run.stdout).toHaveLength(1);
    expect(lines[0]).toMatch(/--http2: httpx==0\.28\.1 cannot speak HTTP\/2 \(.*\); not run: health \/healthz, health \/readyz; the TLS check ran over HTTP\/1\.1$/);
  });

  test('a run in which no check ran is an error (exit 2) with the reason on stderr, in the report too', async () => {
    const plain = await canaries.serveWith({});
    const run = await smoke(['--url', plain.url, '--client', CLIENT, '--http2', '--health', '/healthz'], canaries.tmp);
    expect(run.exitCode, explain(run)).toBe(2);
    expect(run.check('health').verdict).toBe('not-applicable');
    const nothing = run.check('nothing checked');
    expect(nothing.verdict).toBe('error');
    expect(nothing.evidence.reason).toMatch(/^smoke checked nothing against http:\/\/127\.0\.0\.1:\d+ with httpx==0\.28\.1: every check was not-applicable \(the h2 package is not installed/);
    expect(run.stderr).toContain(`regress: ${nothing.evidence.reason}`);
    // The client really was asked nothing over HTTP/1.1 instead.
    expect(plain.requests).toEqual([]);
  });

  test('the check that adds the error: only a client none of whose checks ran', () => {
    const result = (client: string, verdict: 'fixed' | 'not-applicable', reason = 'r') => ({
      scenario: 'smoke', case: 'health /h', client, installed: null, verdict, durationMs: 1,
      evidence: { reason, client: { steps: [], facts: {}, exitCode: 0, timedOut: false }, server: {} },
    });
    const added = uncheckedClients([result('a', 'not-applicable', 'no h2'), result('a', 'not-applicable', 'no h2'), result('b', 'not-applicable'), result('b', 'fixed')], { url: 'http://x', http2: false });
    expect(added.map((r) => [r.client, r.verdict, r.evidence.reason])).toEqual([['a', 'error', 'smoke checked nothing against http://x with a: every check was not-applicable (no h2)']]);
  });

  test('--http2 asked and a check skipped for want of HTTP/2 is an error even when the TLS check ran', () => {
    const result = (client: string, name: string, verdict: 'fixed' | 'not-applicable', reason = 'r') => ({
      scenario: 'smoke', case: name, client, installed: null, verdict, durationMs: 1,
      evidence: { reason, client: { steps: [], facts: {}, exitCode: 0, timedOut: false }, server: {} },
    });
    const results = [result('a', 'tls', 'fixed'), result('a', 'health /h', 'not-applicable', 'HTTP/2 needs the h2 package')];
    const added = uncheckedClients(results, { url: 'https://x', http2: true });
    expect(added.map((r) => [r.case, r.verdict])).toEqual([['http2 not checked', 'error']]);
    expect(added[0]!.evidence.reason).toMatch(/^--http2 was asked, but a cannot speak HTTP\/2, so health \/h did not run against https:\/\/x/);
    // Without --http2 the same results pass: nothing the user asked for was skipped.
    expect(uncheckedClients(results, { url: 'https://x', http2: false })).toEqual([]);
  });
});

describe('regress smoke: TLS causes a server gets wrong', () => {
  test('a server that sends only its leaf: incomplete-chain, with the certificates sent and whether the trust completes the chain', async () => {
    const { service, root, issuerFetches } = await canaries.serveChain(false);
    const run = await smoke(['--url', service.url, '--client', CLIENT, '--ca', root, '--min-days', '3', '--health', '/healthz'], canaries.tmp);
    expect(run.exitCode, explain(run)).toBe(1);
    const tls = run.check('tls');
    expect(causeOf(tls), explain(run)).toBe('incomplete-chain');
    expect(tls.evidence.reason).toMatch(/^incomplete-chain: the server sent 1 certificate\(s\) \(CN=localhost-via-intermediate-\d+\), not its issuer CN=regress per-run intermediate CA \d+/);
    expect((tls.evidence.details!.handshake as { chain: unknown }).chain).toMatchObject({
      certificatesSent: 1,
      issuerSent: false,
      trustCompletesChain: false,
      trustCompletesWithIssuer: true,
      issuerFetched: { subject: expect.stringMatching(/^CN=regress per-run intermediate CA/) },
    });
    expect(issuerFetches()).toBe(1);
  });

  test('the same chain sent whole (leaf and intermediate) passes', async () => {
    const { service, root, issuerFetches } = await canaries.serveChain(true);
    const run = await smoke(['--url', service.url, '--client', CLIENT, '--ca', root, '--min-days', '3', '--health', '/healthz'], canaries.tmp);
    expect(run.exitCode, explain(run)).toBe(0);
    expect(run.check('tls').verdict).toBe('fixed');
    // A server that sends its chain costs no fetch of the issuer.
    expect(issuerFetches()).toBe(0);
  });

  test('a leaf from a CA the client does not trust, with no issuer to fetch, stays unknown-ca and says what was sent', async () => {
    const other = await canaries.serve(canaries.otherCerts.trusted);
    const run = await smoke(['--url', other.url, '--client', CLIENT, '--ca', canaries.certs.ca.certPath, '--health', '/healthz'], canaries.tmp);
    expect(causeOf(run.check('tls')), explain(run)).toBe('unknown-ca');
    expect(run.check('tls').evidence.reason).toMatch(/the server sent 1 certificate\(s\) \(CN=localhost\)/);
    expect((run.check('tls').evidence.details!.handshake as { chain: unknown }).chain).toMatchObject({ certificatesSent: 1, trustCompletesChain: false });
  });

  test('a TLS 1.0-only server: protocol-version, with the versions it accepts', async () => {
    const { cert, key } = canaries.certs.trusted;
    const old = await canaries.serveWith({ tls: { cert, key, minVersion: 'TLSv1', maxVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0' } });
    const run = await smoke(['--url', old.url, '--client', CLIENT, '--ca', canaries.certs.ca.certPath, '--health', '/healthz'], canaries.tmp);
    expect(run.exitCode, explain(run)).toBe(1);
    const tls = run.check('tls');
    expect(causeOf(tls), explain(run)).toBe('protocol-version');
    expect(tls.evidence.reason).toMatch(/^protocol-version: the server accepts only TLSv1; the client's context allows TLSv1_2 to /);
    expect((tls.evidence.details!.handshake as { serverVersions: string[] }).serverVersions).toEqual(['TLSv1']);
  });

  test('a TLS 1.2-only server passes, its versions recorded', async () => {
    const { cert, key } = canaries.certs.trusted;
    const v12 = await canaries.serveWith({ tls: { cert, key, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' } });
    const run = await smoke(['--url', v12.url, '--client', CLIENT, '--ca', canaries.certs.ca.certPath, '--min-days', '3', '--health', '/healthz'], canaries.tmp);
    expect(run.exitCode, explain(run)).toBe(0);
    expect(run.check('tls').evidence.details!.handshake).toMatchObject({ version: 'TLSv1.2', serverVersions: ['TLSv1.2'] });
  });
});

describe('regress smoke: what a check reads', () => {
  beforeAll(async () => {
    if (!existsSync(snapshot)) await smoke(checks(good.url, '--update-snapshot'), canaries.tmp);
  });

  test('a health path that redirects to itself: redirect-loop, with the Location chain', async () => {
    const loop = await canaries.serve(canaries.certs.trusted, { redirectLoop: true });
    const run = await smoke(['--url', loop.url, '--client', CLIENT, '--ca', canaries.certs.ca.certPath, '--min-days', '3', '--health', '/healthz'], canaries.tmp);
    expect(run.exitCode, explain(run)).toBe(1);
    const health = run.check('health');
    expect(causeOf(health)).toBe('redirect-loop');
    const redirects = health.evidence.details!.redirects as { loop: boolean; chain: { url: string; status: number; location: string }[] };
    expect(redirects.loop).toBe(true);
    expect(redirects.chain).toEqual([
      { url: `${loop.url}/healthz`, status: 302, location: '/healthz/next' },
      { url: `${loop.url}/healthz/next`, status: 302, location: '/healthz' },
    ]);
    expect(health.evidence.reason).toContain(`${loop.url}/healthz (302) → /healthz/next; ${loop.url}/healthz/next (302) → /healthz`);
    expect(run.check('tls').verdict).toBe('fixed');
  });

  test('a 64 MB health body is cut at --max-body and the result says so; a document over it is an error about its size', async () => {
    const big = await canaries.serve(canaries.certs.trusted, { healthBodyBytes: 64 * 1024 * 1024, openapiPadBytes: 3 * 1024 * 1024 });
    const run = await smoke(checks(big.url, '--max-body', String(1024 * 1024)), canaries.tmp);
    expect(run.exitCode, explain(run)).toBe(2);
    const health = run.check('health');
    expect(health.verdict).toBe('fixed');
    expect(health.evidence.reason).toMatch(/answered 200 .*; body cut at 1048576 bytes \(--max-body\)$/);
    expect(health.evidence.details!.response).toMatchObject({ bytesRead: 1048576, cutAt: 1048576 });
    const openapi = run.check('openapi');
    expect(openapi.verdict).toBe('error');
    expect(openapi.evidence.reason).toMatch(/the document is larger than --max-body 1048576 bytes \(cut at 1048576 bytes, not compared\)/);
    expect(run.check('shape').verdict).toBe('fixed');
  });
});

describe('regress smoke: reports', () => {
  let run: SmokeRun;
  beforeAll(async () => {
    if (!existsSync(snapshot)) await smoke(checks(good.url, '--update-snapshot'), canaries.tmp);
    run = await smoke(checks((await canaries.serve(canaries.certs.trusted, { breaking: true, additive: true })).url), canaries.tmp);
  });

  test('results.json, junit.xml, summary.md and report.html are written, as for run', async () => {
    expect(run.reportDir).not.toBeNull();
    expect((await readdir(run.reportDir!)).sort()).toEqual(['junit.xml', 'report.html', 'results.json', 'summary.md']);
    const xml = await readFile(join(run.reportDir!, 'junit.xml'), 'utf8');
    expect(xml).toMatch(/<testsuites name="regress" tests="4" failures="1" errors="0"/);
    expect(xml).toMatch(/<failure type="reproduced" message="openapi-breaking: /);
    const md = await readFile(join(run.reportDir!, 'summary.md'), 'utf8');
    expect(md).toMatch(/smoke\/openapi \/openapi\.json\*\* × `httpx==0\.28\.1`: openapi-breaking: 2 breaking change/);
  });

  test('report.html shows the handshake details and the OpenAPI changes', async ({ skip }) => {
    if (!existsSync(CHROMIUM)) {
      if (process.env.CI) throw new Error(`Chromium is required in CI and missing at ${CHROMIUM}`);
      skip(`Chromium not installed at ${CHROMIUM}: apt-get install chromium`);
    }
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
    try {
      const page = await browser.newPage();
      await page.goto(`file://${join(run.reportDir!, 'report.html')}`);
      const grid = page.getByRole('table', { name: 'verdict matrix' });
      await grid.getByRole('row', { name: /smoke\/openapi/ }).getByRole('button').click();
      const details = page.locator('#detail-details');
      await expect.poll(() => details.textContent()).toMatch(/cause openapi-breaking/);
      expect(await details.locator('li.breaking').count()).toBe(2);
      expect(await details.textContent()).toMatch(/non-breaking: \[Added\] operation GET \/api\/stats/);
      await grid.getByRole('row', { name: /smoke\/tls/ }).getByRole('button').click();
      await expect.poll(() => details.textContent()).toMatch(/TLSv1\.[23]/);
      expect(await details.textContent()).toMatch(/CN=regress per-run test CA/);
      const shot = join(process.env.REGRESS_SCREENSHOT_DIR ?? run.reportDir!, 'smoke-report.png');
      await page.screenshot({ path: shot, fullPage: true });
      expect((await stat(shot)).size).toBeGreaterThan(10_000);
    } finally {
      await browser.close();
    }
  });
});

describe('regress smoke: bad input and interrupts', () => {
  test.for([
    [['--url', 'ftp://127.0.0.1/'], /^regress: --url 'ftp:\/\/127\.0\.0\.1\/' must be http:\/\/ or https:\/\//],
    [['--url', 'not a url'], /^regress: --url 'not a url' is not a URL/],
    [['--url', 'http://127.0.0.1:1'], /^regress: nothing to check: an http:\/\/ --url needs --health, --openapi or --shape/],
    [['--url', 'https://127.0.0.1:1', '--ca', '/no/such/ca.pem'], /^regress: cannot read --ca \/no\/such\/ca\.pem: ENOENT/],
    [['--url', 'https://127.0.0.1:1', '--openapi', '/openapi.json'], /^regress: --openapi and --shape compare with a snapshot/],
    [['--url', 'https://127.0.0.1:1', '--openapi', '/openapi.json', '--snapshot', '/no/such/snapshot.json'], /^regress: snapshot \/no\/such\/snapshot\.json does not exist \(create it with --update-snapshot\)/],
    [['--url', 'https://127.0.0.1:1', '--health', 'healthz'], /^regress: --health 'healthz' must be a path starting with \//],
    [['--url', 'https://127.0.0.1:1', '--min-days', '-1'], /min-days/],
    [['--health', '/healthz'], /required option '--url <url>'/],
    [['--url', 'https://127.0.0.1:1', '--openapi', '/openapi.json', '--snapshot', '/no/such/dir/s.json', '--update-snapshot'], /^regress: cannot write snapshot \/no\/such\/dir\/s\.json: ENOENT/],
  ] as const)('bad input %j: exit 2 with one line, nothing written', async ([args, message]) => {
    const reports = join(canaries.tmp, 'never');
    const { exitCode, stderr, stdout } = await execa(process.execPath, ['bin/regress.js', 'smoke', ...args, '--reports', reports], { cwd: ROOT, reject: false });
    expect(exitCode).toBe(2);
    const lines = stderr.split('\n').filter((l) => l.trim());
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(stdout).toBe('');
    expect(existsSync(reports)).toBe(false);
  });

  test('a snapshot that is not a smoke snapshot is bad input', async () => {
    const bogus = join(canaries.tmp, 'bogus.json');
    await writeFile(bogus, '{"openapi": "3.0.3"}');
    const { exitCode, stderr } = await execa(process.execPath, ['bin/regress.js', 'smoke', '--url', good.url, '--openapi', '/openapi.json', '--snapshot', bogus, '--no-report'], { cwd: ROOT, reject: false });
    expect(exitCode).toBe(2);
    expect(stderr.trim()).toMatch(/^regress: snapshot .*bogus\.json is not a regress smoke snapshot/);
  });

  test('--help lists the checks', async () => {
    const { exitCode, stdout } = await execa(process.execPath, ['bin/regress.js', 'smoke', '--help'], { cwd: ROOT, reject: false });
    expect(exitCode).toBe(0);
    for (const flag of ['--url', '--health', '--ca', '--min-days', '--openapi', '--snapshot', '--update-snapshot', '--shape', '--runtime', '--image', '--requirements']) {
      expect(stdout).toContain(flag);
    }
  });

  test('Ctrl-C: exit 130, no client program left, the report marked interrupted', async () => {
    const slow = await canaries.serve(canaries.certs.trusted, { slowHealthMs: 60_000 });
    const reports = join(canaries.tmp, 'interrupt');
    const child = execa(process.execPath, ['bin/regress.js', 'smoke', '--url', slow.url, '--client', CLIENT, '--ca', canaries.certs.ca.certPath, '--min-days', '3', '--health', '/healthz', '--timeout', '120s', '--reports', reports], { cwd: ROOT, reject: false });
    // Interrupt once the health request is waiting on the canary.
    for (let i = 0; i < 600 && !slow.requests.includes('GET /healthz'); i++) await new Promise((r) => setTimeout(r, 100));
    expect(slow.requests).toContain('GET /healthz');
    child.kill('SIGINT');
    const { exitCode, stderr } = await child;
    expect(exitCode, stderr).toBe(130);
    const [runId] = await readdir(reports);
    const { run } = JSON.parse(await readFile(join(reports, runId!, 'results.json'), 'utf8'));
    expect(run.interrupted).toBe(true);
    const { stdout } = await execa('ps', ['-eo', 'args'], { reject: false });
    expect(stdout).not.toContain(join(ROOT, 'harness', 'python', 'smoke_client.py'));
  });
});

describe('smoke building blocks', () => {
  test('OpenAPI changes name their operation, none is blank, and a shared schema change is one line', () => {
    const item = { type: 'object', properties: { id: { type: 'integer' }, name: { type: 'string' } } };
    const ok = (schema: unknown) => ({ 200: { description: 'ok', content: { 'application/json': { schema } } } });
    const before = {
      openapi: '3.0.3', info: { title: 't', version: '1' },
      paths: {
        '/a': { get: { parameters: [{ name: 'q', in: 'query', schema: { type: 'string' } }], responses: ok({ $ref: '#/components/schemas/Item' }) } },
        '/b': { post: { responses: ok({ type: 'array', items: { $ref: '#/components/schemas/Item' } }) } },
      },
      components: { schemas: { Item: item } },
    };
    const after = structuredClone(before) as any;
    after.components.schemas.Item.properties.id.type = 'string';
    after.paths['/a'].get.parameters[0].required = true;
    after.servers = [{ url: 'http://x' }];
    const { breaking, other } = compareOpenApi(before, after);
    const all = [...breaking, ...other];
    for (const c of all) expect(c.description.trim(), JSON.stringify(c)).toMatch(/\S.*: \[\w+\] \S/);
    // One change to the shared Item, placed where it is defined, naming both operations; never both
    // breaking and non-breaking.
    const idChanges = all.filter((c) => c.path.includes('/properties/id'));
    expect(idChanges).toHaveLength(1);
    expect(idChanges[0]).toMatchObject({ path: '/components/schemas/Item/properties/id/type', operations: ['GET /a', 'POST /b'] });
    expect(idChanges[0]!.description).toMatch(/^GET \/a, POST \/b: \[Replaced\] /);
    expect(breaking.map((c) => c.description)).toContain('GET /a: [Added] required status to required query parameter `q`');
    expect(other.find((c) => c.path === '/servers')?.description).toBe('document servers: [Added] servers');
    const keys = all.map((c) => `${c.action} ${c.path}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  test('a JSON shape is the types of its keys, recursively; removed keys and changed types are breaking', () => {
    const before = shapeOf([{ id: 1, name: 'a', tags: ['x'], owner: { email: 'e' } }, { id: 2, name: 'b', tags: [], owner: null }]);
    // A null beside an object keeps the object's keys (a nullable object); scalars become a union.
    expect(before).toEqual([{ id: 'number', name: 'string', owner: { email: 'string' }, tags: ['string'] }]);
    expect(shapeOf([{ n: 1 }, { n: null }, { n: 'x' }])).toEqual([{ n: 'null|number|string' }]);
    const after = shapeOf([{ id: '1', tags: ['x'], extra: true, owner: { email: 5 } }]);
    expect(compareShapes(before, after)).toEqual([
      { at: '[].id', change: 'type-changed', before: 'number', after: 'string' },
      { at: '[].name', change: 'removed', before: 'string' },
      { at: '[].owner.email', change: 'type-changed', before: 'string', after: 'number' },
      { at: '[].extra', change: 'added', after: 'boolean' },
    ]);
    // A sample without the nulls a union allowed is no change; a type the snapshot never saw is one.
    expect(compareShapes(shapeOf({ n: [1, null] }), shapeOf({ n: [1] }))).toEqual([]);
    expect(compareShapes(shapeOf({ n: 1 }), shapeOf({ n: null }))).toEqual([{ at: '.n', change: 'type-changed', before: 'number', after: 'null' }]);
    expect(compareShapes(before, before)).toEqual([]);
  });

  test('TLS causes come from the stage and the OpenSSL verify code, not the message', () => {
    expect(handshakeCause({ stage: 'verify', verifyCode: 10, verifyMessage: 'anything' }).cause).toBe('expired');
    expect(handshakeCause({ stage: 'verify', verifyCode: 62, verifyMessage: '' }).cause).toBe('hostname-mismatch');
    expect(handshakeCause({ stage: 'verify', verifyCode: 18, verifyMessage: '' }).cause).toBe('unknown-ca');
    expect(handshakeCause({ stage: 'verify', verifyCode: 20, verifyMessage: 'certificate has expired' }).cause).toBe('unknown-ca');
    expect(handshakeCause({ stage: 'verify', verifyCode: 999, verifyMessage: 'new' }).cause).toBe('verify-failed');
    expect(handshakeCause({ stage: 'handshake', reason: 'WRONG_VERSION_NUMBER' }).cause).toBe('handshake-refused');
    expect(handshakeCause({ stage: 'connect', error: 'ConnectionRefusedError' }).cause).toBe('unreachable');
  });

  test('a handshake and a client that disagree is an error, never a verdict on the canary', () => {
    const judge = (handshake: Record<string, unknown>, request: Record<string, unknown>) =>
      judgeTls({
        client: { status: 'ok', steps: [{ name: 'client-request', startedAt: 0, elapsed: 0, ...request } as ClientStep], facts: { handshake } },
        server: {}, installed: { python: '3', packages: {}, module: 'httpx' }, clientExitedAt: 0, marks: {}, input: {},
      }, 14);
    const refused = { ok: false, error: { type: 'httpx.ConnectError', kind: 'certificate', message: 'CERTIFICATE_VERIFY_FAILED' } };
    expect(judge({ ok: false, stage: 'verify', verifyCode: 10, verifyMessage: 'certificate has expired' }, refused)).toMatchObject({ verdict: 'reproduced', details: { cause: 'expired' } });
    expect(judge({ ok: false, stage: 'verify', verifyCode: 10, verifyMessage: 'certificate has expired' }, { ok: true, status: 200 }).verdict).toBe('error');
    expect(judge({ ok: true, version: 'TLSv1.3', cipher: ['X', 'TLSv1.3', 256] }, refused).verdict).toBe('error');
  });
});
