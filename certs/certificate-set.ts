// Per-run certificates for the TLS fixtures. Keys (0600) live only in a fresh 0700 directory for the run.
//
// The CA chain is built with @peculiar/x509 rather than selfsigned because Python 3.13 verifies with
// VERIFY_X509_STRICT: the CA needs a Subject Key Identifier and every leaf an Authority Key Identifier,
// which selfsigned 5 does not emit. selfsigned is used where no chain is involved: the untrusted
// self-signed leaf.
// @peculiar/x509 2 needs a Reflect metadata polyfill loaded before it.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { generate as generateSelfSigned } from 'selfsigned';
import { webcrypto } from 'node:crypto';
import { lstat, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ownerTag, sweepLeftovers } from '../harness/runtime/cleanup.ts';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const ALGORITHM: EcKeyGenParams & EcdsaParams = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
const DAY_MS = 86_400_000;

export interface PemPair {
  cert: string;
  key: string;
  certPath: string;
  keyPath: string;
}

export interface CertificateSet {
  dir: string;
  /** The run's CA: clients trust it, the good servers chain to it. */
  ca: { cert: string; certPath: string };
  /** CA-signed, SAN localhost + 127.0.0.1 + ::1. */
  trusted: PemPair;
  /** Self-signed, not issued by the run's CA. */
  untrusted: PemPair;
  /** CA-signed, but for another host name only. */
  wrongHost: PemPair;
  /** CA-signed, SAN correct, validity ended yesterday. */
  expired: PemPair;
  /** CA-signed client certificate (clientAuth) for mTLS. */
  client: PemPair;
  /**
   * A server leaf (localhost) issued by a new intermediate CA, which a new root signs: a chain of three, for
   * servers that send (or forget) the intermediate. Its own root, because the run's CA allows no
   * intermediate (path length 0). `caIssuersUrl` goes into the leaf's Authority Information Access
   * extension, where a verifier looks for the missing issuer.
   */
  issueViaIntermediate(options?: { caIssuersUrl?: string }): Promise<IntermediateChain>;
  dispose(): Promise<void>;
}

export interface IntermediateChain {
  /** The leaf alone (cert) and its key: a server that serves this forgets the intermediate. */
  leaf: PemPair;
  intermediate: { cert: string; der: Buffer };
  /** Leaf then intermediate, PEM: what a correctly configured server sends. */
  fullChain: string;
  /** The root that signed the intermediate (what a client trusts, --ca). */
  root: { cert: string; certPath: string };
}

/**
 * Per-run directories live under one root, which the container runtime mounts (read-only, same path)
 * so clients inside containers read the same certificate files.
 */
export const RUN_ROOT = join(tmpdir(), `regress-run-${process.getuid?.() ?? 'user'}`);

/** The run root, private to this user: a directory someone else made (or a symlink) is refused. */
export async function ensureRunRoot(): Promise<string> {
  await mkdir(RUN_ROOT, { recursive: true, mode: 0o700 });
  const info = await lstat(RUN_ROOT);
  if (!info.isDirectory() || (process.getuid && info.uid !== process.getuid()) || (info.mode & 0o077) !== 0) {
    throw new Error(`${RUN_ROOT} is not a private directory of this user; remove it`);
  }
  return RUN_ROOT;
}

let swept: Promise<unknown> | undefined;

/** Key folders (and container input folders) of runs that were killed before they could remove them. */
export function sweepRunRoot(): Promise<unknown> {
  swept ??= ensureRunRoot().then((root) => sweepLeftovers(root, ['certs-', 'input-']));
  return swept;
}

export async function createCertificateSet(): Promise<CertificateSet> {
  await sweepRunRoot();
  // The owner's pid in the name: a later run removes it if this one is SIGKILLed.
  const dir = await mkdtemp(join(await ensureRunRoot(), `certs-${ownerTag()}-`));
  try {
    return await issueCertificates(dir);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

async function issueCertificates(dir: string): Promise<CertificateSet> {
  const now = Date.now();
  const caKeys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: 'CN=regress per-run test CA',
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + 7 * DAY_MS),
    signingAlgorithm: ALGORITHM,
    keys: caKeys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });

  const issue = async (
    name: string,
    hosts: { dns: string[]; ips: string[] },
    usage: 'server' | 'client',
    validity: { from: number; to: number },
    issuer: { cert: x509.X509Certificate; keys: CryptoKeyPair } = { cert: caCert, keys: caKeys },
    caIssuersUrl?: string,
  ): Promise<PemPair> => {
    const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
    const sans = [
      ...hosts.dns.map((value) => ({ type: 'dns' as const, value })),
      ...hosts.ips.map((value) => ({ type: 'ip' as const, value })),
    ];
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: `CN=${name}`,
      issuer: issuer.cert.subject,
      notBefore: new Date(validity.from),
      notAfter: new Date(validity.to),
      signingAlgorithm: ALGORITHM,
      publicKey: keys.publicKey,
      signingKey: issuer.keys.privateKey,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
        new x509.ExtendedKeyUsageExtension([
          usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth,
        ]),
        ...(sans.length ? [new x509.SubjectAlternativeNameExtension(sans)] : []),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
        await x509.AuthorityKeyIdentifierExtension.create(issuer.keys.publicKey),
        ...(caIssuersUrl ? [new x509.AuthorityInfoAccessExtension({ caIssuers: new x509.GeneralName('url', caIssuersUrl) })] : []),
      ],
    });
    return save(dir, name, cert.toString('pem'), await exportKey(keys.privateKey));
  };

  let intermediates = 0;
  const issueViaIntermediate = async (options: { caIssuersUrl?: string } = {}): Promise<IntermediateChain> => {
    const n = ++intermediates;
    const rootKeys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
    const root = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serial(),
      name: `CN=regress per-run root CA ${n}`,
      notBefore: new Date(good.from),
      notAfter: new Date(good.to),
      signingAlgorithm: ALGORITHM,
      keys: rootKeys,
      extensions: [
        new x509.BasicConstraintsExtension(true, 1, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(rootKeys.publicKey),
        await x509.AuthorityKeyIdentifierExtension.create(rootKeys.publicKey),
      ],
    });
    const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: `CN=regress per-run intermediate CA ${n}`,
      issuer: root.subject,
      notBefore: new Date(good.from),
      notAfter: new Date(good.to),
      signingAlgorithm: ALGORITHM,
      publicKey: keys.publicKey,
      signingKey: rootKeys.privateKey,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
        await x509.AuthorityKeyIdentifierExtension.create(rootKeys.publicKey),
      ],
    });
    const rootPem = root.toString('pem');
    const rootPath = join(dir, `root-${n}.pem`);
    await writeFile(rootPath, rootPem, { mode: 0o644 });
    const leaf = await issue(`localhost-via-intermediate-${n}`, local, 'server', good, { cert, keys }, options.caIssuersUrl);
    const pem = cert.toString('pem');
    return { leaf, intermediate: { cert: pem, der: Buffer.from(cert.rawData) }, fullChain: `${leaf.cert.trimEnd()}\n${pem}\n`, root: { cert: rootPem, certPath: rootPath } };
  };

  const good = { from: now - DAY_MS, to: now + 7 * DAY_MS };
  const local = { dns: ['localhost'], ips: ['127.0.0.1', '::1'] };
  const selfSigned = await generateSelfSigned([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate: new Date(good.from),
    notAfterDate: new Date(good.to),
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyAgreement: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] },
    ],
  });

  const caPem = caCert.toString('pem');
  const caPath = join(dir, 'ca.pem');
  await writeFile(caPath, caPem, { mode: 0o644 });
  return {
    dir,
    ca: { cert: caPem, certPath: caPath },
    trusted: await issue('localhost', local, 'server', good),
    untrusted: await save(dir, 'self-signed', selfSigned.cert, selfSigned.private),
    wrongHost: await issue('wrong.host.invalid', { dns: ['wrong.host.invalid'], ips: [] }, 'server', good),
    expired: await issue('expired-localhost', local, 'server', { from: now - 30 * DAY_MS, to: now - DAY_MS }),
    client: await issue('regress-client', { dns: [], ips: [] }, 'client', good),
    issueViaIntermediate,
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}

async function save(dir: string, name: string, cert: string, key: string): Promise<PemPair> {
  const certPath = join(dir, `${name}.crt.pem`);
  const keyPath = join(dir, `${name}.key.pem`);
  await writeFile(certPath, cert, { mode: 0o644 });
  await writeFile(keyPath, key, { mode: 0o600 });
  return { cert, key, certPath, keyPath };
}

async function exportKey(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  const body = der.toString('base64').match(/.{1,64}/g)?.join('\n') ?? '';
  const label = 'PRIVATE KEY'; // PKCS#8; spelled apart so no source line looks like a committed key
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}

function serial(): string {
  // Positive, non-zero, 16 bytes: strict verifiers refuse negative serial numbers.
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return Buffer.from(bytes).toString('hex');
}
