// Judging a canary's TLS: the handshake the client program made with the release's own SSLContext, the
// client's request to the same URL, and the certificate the server presented. A failure is named from
// OpenSSL's verify code (X509_V_ERR_*), never guessed from a message's wording.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createHash } from 'node:crypto';
import type { ClientStep, JudgeInput } from '../types.ts';
import type { Judgement as SmokeJudgement } from '../types.ts';
import { TLS_VERSIONS, type TlsProbe, type TlsVersion } from './tls-probe.ts';

const DAY_MS = 86_400_000;

/** OpenSSL's X509_V_ERR_* codes (include/openssl/x509_vfy.h) and the cause each one names. */
const VERIFY_CAUSES: Record<number, { cause: TlsCause; what: string }> = {
  2: { cause: 'unknown-ca', what: 'the issuer certificate could not be found (X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT)' },
  9: { cause: 'not-yet-valid', what: 'the certificate is not yet valid (X509_V_ERR_CERT_NOT_YET_VALID)' },
  10: { cause: 'expired', what: 'the certificate has expired (X509_V_ERR_CERT_HAS_EXPIRED)' },
  18: { cause: 'unknown-ca', what: 'self-signed certificate, not trusted (X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT)' },
  19: { cause: 'unknown-ca', what: 'self-signed certificate in the chain, not trusted (X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN)' },
  20: { cause: 'unknown-ca', what: 'issued by a CA the client does not trust (X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY)' },
  21: { cause: 'unknown-ca', what: 'the chain cannot be verified to a trusted CA (X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE)' },
  24: { cause: 'invalid-chain', what: 'an intermediate is not a CA (X509_V_ERR_INVALID_CA)' },
  26: { cause: 'invalid-chain', what: 'the certificate is not for server authentication (X509_V_ERR_INVALID_PURPOSE)' },
  27: { cause: 'unknown-ca', what: 'the root CA is not trusted for this purpose (X509_V_ERR_CERT_UNTRUSTED)' },
  23: { cause: 'revoked', what: 'the certificate is revoked (X509_V_ERR_CERT_REVOKED)' },
  62: { cause: 'hostname-mismatch', what: 'the certificate is not for this host name (X509_V_ERR_HOSTNAME_MISMATCH)' },
  64: { cause: 'hostname-mismatch', what: 'the certificate is not for this IP address (X509_V_ERR_IP_ADDRESS_MISMATCH)' },
};

export type TlsCause =
  | 'expired'
  | 'not-yet-valid'
  | 'hostname-mismatch'
  | 'unknown-ca'
  | 'invalid-chain'
  | 'incomplete-chain'
  | 'protocol-version'
  | 'revoked'
  | 'verify-failed'
  | 'handshake-refused'
  | 'unreachable'
  | 'expiring-soon';

interface HandshakeFacts {
  ok?: boolean;
  stage?: 'connect' | 'verify' | 'handshake';
  version?: string;
  cipher?: [string, string, number];
  alpn?: string | null;
  leafDer?: string;
  verifyCode?: number;
  verifyMessage?: string;
  reason?: string;
  error?: string;
  /** The versions the client's context allows, in Python's names (TLSv1_2, MINIMUM_SUPPORTED). */
  clientVersions?: { minimum: string; maximum: string } | null;
}

/** OpenSSL's verify codes for "the issuer of a certificate in the chain could not be found". */
const ISSUER_MISSING = new Set([2, 20, 21]);

/** OpenSSL reason codes (not messages) of a handshake that failed on the protocol version. */
const VERSION_REASONS = new Set(['UNSUPPORTED_PROTOCOL', 'TLSV1_ALERT_PROTOCOL_VERSION', 'NO_PROTOCOLS_AVAILABLE', 'WRONG_SSL_VERSION', 'VERSION_TOO_LOW', 'VERSION_TOO_HIGH']);

/** Python's TLSVersion names, in order, as the probe's (Node's) names. */
const PY_VERSIONS: Record<string, TlsVersion> = { TLSv1: 'TLSv1', TLSv1_1: 'TLSv1.1', TLSv1_2: 'TLSv1.2', TLSv1_3: 'TLSv1.3' };

export interface CertificateSummary {
  subject: string;
  issuer: string;
  notBefore: string;
  notAfter: string;
  daysLeft: number;
  subjectAltNames: string[];
  serialNumber: string;
  sha256: string;
}

export function describeCertificate(derBase64: string | null | undefined, now = Date.now()): CertificateSummary | null {
  if (!derBase64) return null;
  try {
    const cert = new x509.X509Certificate(Buffer.from(derBase64, 'base64'));
    const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
    return {
      subject: cert.subject,
      issuer: cert.issuer,
      notBefore: cert.notBefore.toISOString(),
      notAfter: cert.notAfter.toISOString(),
      daysLeft: Math.trunc((cert.notAfter.getTime() - now) / DAY_MS),
      subjectAltNames: san ? san.names.items.map((n) => `${n.type}:${n.value}`) : [],
      serialNumber: cert.serialNumber,
      sha256: createHash('sha256').update(new Uint8Array(cert.rawData)).digest('hex'),
    };
  } catch {
    return null;
  }
}


/** The cause of a failed handshake, from the stage it failed at and OpenSSL's verify code. */
export function handshakeCause(h: HandshakeFacts): { cause: TlsCause; what: string } {
  if (h.stage === 'connect') return { cause: 'unreachable', what: `cannot connect: ${h.error}` };
  if (h.stage === 'verify' && h.verifyCode !== undefined) {
    const known = VERIFY_CAUSES[h.verifyCode];
    if (known) return { cause: known.cause, what: `${known.what}; OpenSSL verify code ${h.verifyCode}: ${h.verifyMessage}` };
    return { cause: 'verify-failed', what: `OpenSSL verify code ${h.verifyCode}: ${h.verifyMessage}` };
  }
  return { cause: 'handshake-refused', what: `the handshake failed before any certificate was judged: ${h.reason ?? ''} ${h.error ?? ''}`.trim() };
}

export function judgeTls(input: JudgeInput, minDays: number, now = Date.now()): SmokeJudgement {
  const facts = input.client.facts;
  const h = facts.handshake as HandshakeFacts | undefined;
  const request = input.client.steps.find((s) => s.name === 'client-request');
  if (!h || !request) return { verdict: 'error', reason: 'the TLS check recorded no handshake or no client request' };
  const clientRefused = isTlsFailure(request);
  const served = describeCertificate(h.ok ? h.leafDer : (facts.servedLeafDer as string | undefined), now);
  const handshake = {
    trust: facts.trust,
    sslContext: facts.sslContext,
    version: h.version ?? null,
    cipher: h.cipher ? { name: h.cipher[0], protocol: h.cipher[1], bits: h.cipher[2] } : null,
    alpn: h.alpn ?? null,
    verifyCode: h.verifyCode ?? null,
    verifyMessage: h.verifyMessage ?? null,
    certificate: served,
    clientRequest: request.ok ? `status ${request.status} over ${request.httpVersion ?? '?'}` : `${request.error?.type}: ${request.error?.message}`,
    // --http2 asked of a client that cannot speak it: the check ran, its request over HTTP/1.1.
    ...(facts.http2 ? { http2: facts.http2 } : {}),
  };
  // The versions the server accepts (the harness's probe) beside those the client allows, pass or fail.
  const probe = input.input.probe as TlsProbe | undefined;
  if (probe) Object.assign(handshake, { serverVersions: probe.offered, clientVersions: h.clientVersions ?? null });
  if (h.ok) {
    // The client must agree: the release's own request over the same trust succeeds at the TLS layer.
    if (clientRefused) {
      return { verdict: 'error', reason: `the handshake succeeded but the client refused the connection (${request.error?.type}: ${request.error?.message})`, details: { handshake } };
    }
    if (!request.ok && (request.error?.kind === 'connect' || request.error?.kind === 'connect-timeout')) {
      return { verdict: 'error', reason: `the handshake succeeded but the client could not connect afterwards (${request.error?.type}: ${request.error?.message})`, details: { handshake } };
    }
    if (!served) return { verdict: 'error', reason: 'the handshake succeeded but the server certificate could not be read', details: { handshake } };
    const summary = `${h.version}, ${h.cipher?.[0]}; certificate ${served.subject} issued by ${served.issuer}, valid until ${served.notAfter.slice(0, 10)} (${served.daysLeft} days)`;
    if (served.daysLeft < minDays) {
      return {
        verdict: 'reproduced',
        reason: `expiring-soon: the certificate expires in ${served.daysLeft} days, fewer than --min-days ${minDays} (${summary})`,
        details: { cause: 'expiring-soon', handshake },
      };
    }
    return { verdict: 'fixed', reason: `handshake verified: ${summary}; the client agrees (${handshake.clientRequest})`, details: { handshake } };
  }
  const chain = servedChain(facts.servedChainDer as string[] | null | undefined, now);
  const completion = facts.completedWithIssuer as { ok?: boolean; verifyCode?: number; verifyMessage?: string } | undefined;
  const named = refineCause(h, handshakeCause(h), chain, probe, completion, served);
  const { cause, what } = named;
  if (named.chain) Object.assign(handshake, { chain: named.chain });
  // The client must fail too, at the same layer: a handshake our code could not make but the client could
  // would mean the check used other settings than the client's.
  const connectFailed = !request.ok && (request.error?.kind === 'connect' || request.error?.kind === 'connect-timeout');
  const agrees = cause === 'unreachable' ? connectFailed : clientRefused || connectFailed;
  if (!agrees) {
    return {
      verdict: 'error',
      reason: `the handshake failed (${cause}: ${what}) but the client's own request did not fail the same way (${handshake.clientRequest})`,
      // Not `cause`: an error verdict names no failure of the canary.
      details: { handshakeCause: cause, handshake },
    };
  }
  const shown = served ? ` (served: ${served.subject}, issued by ${served.issuer}, valid ${served.notBefore.slice(0, 10)} to ${served.notAfter.slice(0, 10)}, SAN ${served.subjectAltNames.join(' ') || 'none'})` : '';
  return { verdict: 'reproduced', reason: `${cause}: ${what}${shown}`, details: { cause, handshake } };
}

interface SentCertificate {
  subject: string;
  issuer: string;
  selfSigned: boolean;
}

/** The certificates the server sent (as Python's unverified chain has them), or null when unknown. */
function servedChain(ders: string[] | null | undefined, now: number): SentCertificate[] | null {
  if (!Array.isArray(ders)) return null;
  return ders.map((der) => describeCertificate(der, now)).filter((c): c is CertificateSummary => c !== null).map((c) => ({ subject: c.subject, issuer: c.issuer, selfSigned: c.subject === c.issuer }));
}

/**
 * The cause once the facts beyond the verify code are in: `incomplete-chain` when the leaf's issuer was not
 * sent and the client's own trust verifies the server once that issuer (fetched from the leaf's caIssuers
 * URL) is added; `protocol-version` when the handshake failed on the version and the server accepts only
 * versions the client does not allow. Otherwise the verify code's cause, with the chain facts in the text.
 */
function refineCause(
  h: HandshakeFacts,
  base: { cause: TlsCause; what: string },
  chain: SentCertificate[] | null,
  probe: TlsProbe | undefined,
  completion: { ok?: boolean; verifyCode?: number; verifyMessage?: string } | undefined,
  served: CertificateSummary | null,
): { cause: TlsCause; what: string; chain?: Record<string, unknown> } {
  if (h.stage === 'verify' && h.verifyCode !== undefined && ISSUER_MISSING.has(h.verifyCode) && served) {
    // What the client received (Python 3.10+), else what the harness's probe received.
    const sent = chain?.map((c) => c.subject) ?? probe?.sent ?? null;
    const issuerSent = sent ? sent.slice(1).includes(served.issuer) : null;
    const facts = {
      certificatesSent: sent?.length ?? null,
      sent,
      leafIssuer: served.issuer,
      issuerSent,
      // The client's trust alone, with what the server sent: the handshake above said no.
      trustCompletesChain: false,
      ...(probe?.missingIssuer ? { issuerFetched: probe.missingIssuer.problem ? { url: probe.missingIssuer.url, problem: probe.missingIssuer.problem } : { url: probe.missingIssuer.url, subject: probe.missingIssuer.subject } } : {}),
      ...(completion ? { trustCompletesWithIssuer: Boolean(completion.ok) } : {}),
    };
    const sentText = sent ? `the server sent ${sent.length} certificate(s) (${sent.join(', ')})` : 'the certificates the server sent are unknown';
    if (completion?.ok && issuerSent !== true) {
      return {
        cause: 'incomplete-chain',
        what: `${sentText}, not its issuer ${served.issuer}; the client's trust does not complete the chain without it, and does with it (fetched from ${probe?.missingIssuer?.url}): the server must send its intermediate certificate(s); OpenSSL verify code ${h.verifyCode}: ${h.verifyMessage}`,
        chain: facts,
      };
    }
    return { ...base, what: `${base.what}; ${sentText}${issuerSent === false && served.issuer !== served.subject ? `, not the leaf's issuer ${served.issuer} (if that is an intermediate, the server must send it)` : ''}`, chain: facts };
  }
  if (h.stage === 'handshake' && probe?.offered.length) {
    const allowed = clientAllows(h.clientVersions);
    const overlap = allowed ? probe.offered.filter((v) => allowed.includes(v)) : null;
    if ((h.reason && VERSION_REASONS.has(h.reason)) || (overlap && overlap.length === 0)) {
      const range = h.clientVersions ? `${h.clientVersions.minimum} to ${h.clientVersions.maximum}` : 'unknown';
      return {
        cause: 'protocol-version',
        what: `the server accepts only ${probe.offered.join(', ')}; the client's context allows ${range}${allowed ? ` (${allowed.join(', ')})` : ''}; OpenSSL reason ${h.reason ?? 'none'}`,
      };
    }
  }
  return base;
}

/** The versions a client's context allows, or null when a bound is left to OpenSSL's configuration. */
function clientAllows(range: HandshakeFacts['clientVersions']): TlsVersion[] | null {
  if (!range) return null;
  const low = PY_VERSIONS[range.minimum];
  const high = range.maximum === 'MAXIMUM_SUPPORTED' ? 'TLSv1.3' : PY_VERSIONS[range.maximum];
  if (!low || !high) return null;
  return TLS_VERSIONS.slice(TLS_VERSIONS.indexOf(low), TLS_VERSIONS.indexOf(high) + 1);
}

function isTlsFailure(step: ClientStep): boolean {
  return !step.ok && (step.error?.kind === 'certificate' || step.error?.kind === 'tls');
}
