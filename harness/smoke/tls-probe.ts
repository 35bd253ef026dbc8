// What a canary's TLS server offers, seen from the harness (Node) before the client program runs, as
// facts the TLS judge can name a cause from when the client's handshake fails:
//   versions      which protocol versions the server accepts, one handshake per version (TLS 1.0 and 1.1
//                 need OpenSSL's security level 0 on this side; the probe verifies nothing);
//   sent          the subjects of the certificates the server sent, leaf first. Node completes a peer chain
//                 from its context's store, so this handshake's store holds only the leaf: nothing is added;
//   missingIssuer when the leaf's issuer is not among the certificates the server sent and the leaf names
//                 where its issuer is published (Authority Information Access, caIssuers), that
//                 certificate, fetched with a size and time bound (only then: a server that sends its
//                 chain costs no fetch): the client program then tries its own trust with it, which tells
//                 an incomplete chain (the server forgot its intermediate) from a CA the client does not
//                 trust.
// The client program records what it received too (Python's unverified chain); the judge uses that.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import tls from 'node:tls';

// Signature checks need a WebCrypto provider (set once; the same one certs/certificate-set.ts sets).
x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export const TLS_VERSIONS = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const;
export type TlsVersion = (typeof TLS_VERSIONS)[number];

/** An issuer certificate is a few kB; anything bigger is not one. */
const MAX_ISSUER_BYTES = 64 * 1024;

export interface TlsProbe {
  /** Each version: accepted by the server, or why the handshake failed. */
  versions: Partial<Record<TlsVersion, true | string>>;
  /** The versions the server accepted. */
  offered: TlsVersion[];
  /** Subjects of the certificates the server sent, leaf first. */
  sent?: string[];
  /** The leaf's caIssuers URLs (Authority Information Access), when it names any. */
  caIssuers?: string[];
  /** The leaf's issuer fetched from caIssuers: base64 DER, or why it could not be had. */
  missingIssuer?: { url: string; subject?: string; der?: string; problem?: string };
  problem?: string;
}

interface Target {
  host: string;
  port: number;
  timeoutMs: number;
}

/** One unverified handshake at a single version: the leaf it served, or the failure. */
function handshakeAt(target: Target, version: TlsVersion): Promise<{ ok: true; leaf: Buffer | null } | { ok: false; why: string }> {
  return new Promise((resolve) => {
    const socket = tls.connect({
      host: target.host,
      port: target.port,
      // Node warns when servername is an IP address (SNI carries host names only).
      ...(isIP(target.host) ? {} : { servername: target.host }),
      minVersion: version,
      maxVersion: version,
      ciphers: 'DEFAULT@SECLEVEL=0',
      rejectUnauthorized: false,
      ALPNProtocols: ['http/1.1'],
    });
    const done = (result: { ok: true; leaf: Buffer | null } | { ok: false; why: string }): void => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(target.timeoutMs, () => done({ ok: false, why: `no answer within ${target.timeoutMs} ms` }));
    socket.once('secureConnect', () => done({ ok: true, leaf: socket.getPeerX509Certificate()?.raw ?? null }));
    socket.once('error', (error: NodeJS.ErrnoException) => done({ ok: false, why: error.code ?? error.message }));
  });
}

/** The facts above; never throws (a probe that fails says so in `problem`). */
export async function probeTls(url: string, timeoutS: number): Promise<TlsProbe> {
  const parsed = new URL(url);
  const target = { host: parsed.hostname.replace(/^\[|\]$/g, ''), port: Number(parsed.port || 443), timeoutMs: Math.round(timeoutS * 1000) };
  const probe: TlsProbe = { versions: {}, offered: [] };
  // All versions at once: a server that accepts connections and never answers costs one timeout, not four.
  const results = await Promise.all(TLS_VERSIONS.map((version) => handshakeAt(target, version)));
  let leaf: Buffer | null = null;
  TLS_VERSIONS.forEach((version, i) => {
    const result = results[i]!;
    probe.versions[version] = result.ok ? true : result.why;
    if (result.ok) probe.offered.push(version);
    // The leaf of the newest version the server speaks.
    if (result.ok && result.leaf) leaf = result.leaf;
  });
  const refused = results.find((r): r is { ok: false; why: string } => !r.ok && /^(ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|ENOTFOUND)$/.test(r.why));
  if (!probe.offered.length && refused) probe.problem = `cannot connect: ${refused.why}`;
  try {
    if (leaf) {
      const cert = new x509.X509Certificate(new Uint8Array(leaf as Buffer));
      const sent = await sentChain(target, cert.toString('pem'));
      if (sent) probe.sent = sent;
      if (sent && !sent.slice(1).includes(cert.issuer)) await findIssuer(probe, cert, target.timeoutMs);
    }
  } catch (error) {
    probe.problem = `the served certificate could not be read: ${(error as Error).message}`;
  }
  return probe;
}

/** The subjects the server sent: a handshake whose store holds only the leaf, so Node adds no issuer. */
function sentChain(target: Target, leafPem: string): Promise<string[] | null> {
  return new Promise((resolve) => {
    const socket = tls.connect({
      host: target.host,
      port: target.port,
      ...(isIP(target.host) ? {} : { servername: target.host }),
      ca: [leafPem],
      ciphers: 'DEFAULT@SECLEVEL=0',
      minVersion: 'TLSv1',
      rejectUnauthorized: false,
    });
    const done = (result: string[] | null): void => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(target.timeoutMs, () => done(null));
    socket.once('error', () => done(null));
    socket.once('secureConnect', () => {
      const subjects: string[] = [];
      const seen = new Set<unknown>();
      for (let c: tls.DetailedPeerCertificate | undefined = socket.getPeerCertificate(true); c && c.raw && !seen.has(c); c = c.issuerCertificate) {
        seen.add(c);
        subjects.push(new x509.X509Certificate(new Uint8Array(c.raw)).subject);
        // A self-signed certificate is its own issuerCertificate.
        if (c.issuerCertificate === c) break;
      }
      done(subjects);
    });
  });
}

/** The leaf's issuer from its caIssuers URL (http only, as RFC 5280 publishes them), when it names one. */
async function findIssuer(probe: TlsProbe, leaf: x509.X509Certificate, timeoutMs: number): Promise<void> {
  if (leaf.subject === leaf.issuer) return;
  const aia = leaf.getExtension(x509.AuthorityInfoAccessExtension);
  const urls = (aia?.caIssuers ?? []).filter((n) => n.type === 'url').map((n) => String(n.value));
  if (!urls.length) return;
  probe.caIssuers = urls;
  const url = urls.find((u) => u.startsWith('http://')) ?? urls[0]!;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' });
    if (!response.ok) throw new Error(`answered ${response.status}`);
    const bytes = await boundedBody(response, MAX_ISSUER_BYTES);
    const issuer = parseCertificate(bytes);
    // The right certificate: it names the leaf's issuer and its key signed the leaf.
    if (issuer.subject !== leaf.issuer) throw new Error(`it is ${issuer.subject}, not the leaf's issuer ${leaf.issuer}`);
    if (!(await leaf.verify({ publicKey: issuer.publicKey, signatureOnly: true }))) throw new Error(`${issuer.subject}'s key did not sign the leaf`);
    probe.missingIssuer = { url, subject: issuer.subject, der: Buffer.from(issuer.rawData).toString('base64') };
  } catch (error) {
    probe.missingIssuer = { url, problem: (error as Error).message };
  }
}

async function boundedBody(response: Response, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  const reader = response.body?.getReader();
  if (!reader) return Buffer.alloc(0);
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > max) {
      await reader.cancel();
      throw new Error(`more than ${max} bytes: not a certificate`);
    }
    chunks.push(Buffer.from(value));
  }
  return Buffer.concat(chunks);
}

/** DER or PEM (caIssuers serves DER by the RFC; some CAs serve PEM). */
function parseCertificate(bytes: Buffer): x509.X509Certificate {
  const text = bytes.toString('latin1');
  return text.includes('-----BEGIN CERTIFICATE-----') ? new x509.X509Certificate(text) : new x509.X509Certificate(new Uint8Array(bytes));
}
