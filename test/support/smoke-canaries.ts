// The canaries test/smoke*.test.ts point `regress smoke` at: fastify + @fastify/swagger on 127.0.0.1,
// served with this run's certificates, one variant per failure cause; and a helper that runs the real CLI
// and reads the report it wrote.
import { execa } from 'execa';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CertificateSet, createCertificateSet, type PemPair } from '../../certs/certificate-set.ts';
import { type CanaryOptions, type CanaryService, type CanaryVariant, startCanaryService } from '../../fixtures/canary-service.ts';
import type { CaseResult } from '../../harness/types.ts';

export const ROOT = join(import.meta.dirname, '..', '..');

export interface Canaries {
  /** The run's CA (trusted with --ca) and a second, unrelated CA's set (its leaves chain to nothing trusted). */
  certs: CertificateSet;
  otherCerts: CertificateSet;
  tmp: string;
  serve(pair: PemPair, variant?: CanaryVariant): Promise<CanaryService>;
  /** A canary with any options (TLS versions, a certificate chain), closed with the rest. */
  serveWith(options: CanaryOptions): Promise<CanaryService>;
  /**
   * A canary whose leaf is issued by an intermediate of the run CA; the leaf names where the intermediate
   * is published (caIssuers, a loopback HTTP server started here). The server sends the leaf alone, or
   * leaf and intermediate.
   */
  serveChain(sendIntermediate: boolean): Promise<{ service: CanaryService; root: string; issuerFetches: () => number }>;
  close(): Promise<void>;
}

export async function startCanaries(): Promise<Canaries> {
  const [certs, otherCerts] = await Promise.all([createCertificateSet(), createCertificateSet()]);
  const tmp = await mkdtemp(join(tmpdir(), 'regress-smoke-'));
  const services: CanaryService[] = [];
  const serveWith = async (options: CanaryOptions): Promise<CanaryService> => {
    const service = await startCanaryService(options);
    services.push(service);
    return service;
  };
  // Where the intermediates are published (the path names the one asked for).
  const published = new Map<string, Buffer>();
  const fetched: string[] = [];
  const aia = createServer((request, response) => {
    fetched.push(request.url ?? '');
    const der = published.get(request.url ?? '');
    response.writeHead(der ? 200 : 404, { 'content-type': 'application/pkix-cert' }).end(der ?? '');
  });
  await new Promise<void>((resolve) => aia.listen(0, '127.0.0.1', resolve));
  const aiaBase = `http://127.0.0.1:${(aia.address() as AddressInfo).port}`;
  return {
    certs,
    otherCerts,
    tmp,
    serve: (pair, variant = {}) => serveWith({ ...variant, tls: { cert: pair.cert, key: pair.key } }),
    serveWith,
    serveChain: async (sendIntermediate) => {
      const path = `/intermediate-${published.size + 1}.der`;
      const chain = await certs.issueViaIntermediate({ caIssuersUrl: `${aiaBase}${path}` });
      published.set(path, chain.intermediate.der);
      const service = await serveWith({ tls: { cert: sendIntermediate ? chain.fullChain : chain.leaf.cert, key: chain.leaf.key } });
      return { service, root: chain.root.certPath, issuerFetches: () => fetched.filter((p) => p === path).length };
    },
    close: async () => {
      aia.closeAllConnections();
      await new Promise((resolve) => aia.close(resolve));
      await Promise.all(services.map((s) => s.close()));
      await Promise.all([certs.dispose(), otherCerts.dispose(), rm(tmp, { recursive: true, force: true })]);
    },
  };
}

export interface SmokeRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  results: CaseResult[];
  reportDir: string | null;
  ms: number;
  /** The regress process's id: containers it started carry it as a label. */
  pid: number;
  /** The result of the case whose name starts with this (e.g. "tls", "health"). */
  check(prefix: string): CaseResult;
}

/** `regress smoke ARGS` in a child process, as a user runs it; the run's results.json read back. */
export async function smoke(args: string[], tmp: string): Promise<SmokeRun> {
  const started = performance.now();
  // A folder per run, so concurrent runs never read each other's report.
  const reports = await mkdtemp(join(tmp, 'reports-'));
  const subprocess = execa(process.execPath, ['bin/regress.js', 'smoke', ...args, '--reports', reports, '--concurrency', '8'], { cwd: ROOT, reject: false });
  const pid = subprocess.pid;
  if (pid === undefined) throw new Error('regress did not start');
  const child = await subprocess;
  const ms = Math.round(performance.now() - started);
  const fresh = await readdir(reports);
  const reportDir = fresh.length === 1 ? join(reports, fresh[0]!) : null;
  const results: CaseResult[] = reportDir ? JSON.parse(await readFile(join(reportDir, 'results.json'), 'utf8')).results : [];
  return {
    exitCode: child.exitCode ?? -1,
    stdout: String(child.stdout),
    stderr: String(child.stderr),
    results,
    reportDir,
    ms,
    pid,
    check: (prefix) => {
      const found = results.find((r) => r.case === prefix || r.case.startsWith(`${prefix} `));
      if (!found) throw new Error(`no '${prefix}' check in ${JSON.stringify(results.map((r) => r.case))}; stderr: ${child.stderr}`);
      return found;
    },
  };
}

export const causeOf = (r: CaseResult): unknown => r.evidence.details?.cause;

/** A compact view for assertion messages. */
export const explain = (run: SmokeRun): string =>
  `exit ${run.exitCode}\n${run.results.map((r) => `${r.case}: ${r.verdict} ${r.evidence.reason}`).join('\n')}\n${run.stderr.slice(-1500)}`;
