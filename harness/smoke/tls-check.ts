// Judging a canary's TLS: the handshake the client program made with the release's own SSLContext, the
// client's request to the same URL, and the certificate the server presented. A failure is named from
// OpenSSL's verify code (X509_V_ERR_*), never guessed from a message's wording.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createHash } from 'node:crypto';
import type { ClientStep, JudgeInput } from '../types.ts';
import type { Judgement as SmokeJudgement } from '../types.ts';

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
}

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
  };
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
  const { cause, what } = handshakeCause(h);
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

function isTlsFailure(step: ClientStep): boolean {
  return !step.ok && (step.error?.kind === 'certificate' || step.error?.kind === 'tls');
}
