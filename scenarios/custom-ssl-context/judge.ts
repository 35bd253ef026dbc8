import type { ConnectionRecord, ServerObservations } from '../../fixtures/connection-tracker.ts';
import { findStep, fixed, ok200, outcomeOf, reproduced, requestsTo, serverSaw, unrecognised } from '../../harness/scenario-kit.ts';
import type { ClientStep, JudgeInput, Judgement } from '../../harness/types.ts';

// Every TLS case asserts that the SSLContext passed as verify= is the one used, as given. A client that
// refuses a server its context trusts, accepts a certificate its context must refuse, refuses one for
// another reason than the certificate's own defect, or does not present the context's client certificate
// violates it: `reproduced`. The client's error text and the server's handshake record are both read.

/**
 * Why each bad certificate must be refused, as OpenSSL (or the client's own host name check) words it.
 * `kindAfterHandshake`: the error kind of a client that checks the host name itself once the handshake is
 * done (urllib3 1.x, and requests on it, leave check_hostname off and call match_hostname): the server then
 * completes a handshake, but the client refuses before it sends a request, which keeps the contract.
 */
export const EXPECTED_REFUSAL: Record<string, { what: string; pattern: RegExp; kindAfterHandshake?: string }> = {
  untrusted: { what: 'self-signed / unknown issuer', pattern: /self[- ]signed certificate|unable to get local issuer/i },
  'wrong-host': {
    what: 'hostname or IP address mismatch',
    // OpenSSL's codes, Python's match_hostname, and Node's checkServerIdentity ("Hostname/IP does not match
    // certificate's altnames").
    pattern: /hostname mismatch|ip address mismatch|doesn't match|does not match|not valid for/i,
    kindAfterHandshake: 'hostname',
  },
  expired: { what: 'certificate has expired', pattern: /certificate has expired|certificate expired/i },
};

/** An error that is the client refusing the server's certificate (not a connect failure). */
const REFUSED_AS_UNTRUSTED = /local issuer|self[- ]signed|unknown ca|unable to verify|certificate verify failed/i;

function errorText(step: ClientStep | undefined): string {
  return [step?.error?.message ?? '', ...(step?.error?.chain ?? [])].join(' | ');
}

/**
 * The kinds a refused certificate is given: `certificate`, and `hostname` where a family's contract tells a
 * certificate for another host apart (requests, urllib3: OpenSSL's hostname / IP address mismatch codes).
 */
export const CERTIFICATE_KINDS = new Set(['certificate', 'hostname']);

function isCertificateRefusal(step: ClientStep | undefined): boolean {
  const kind = step?.error?.kind ?? '';
  return CERTIFICATE_KINDS.has(kind) || (kind === 'tls' && REFUSED_AS_UNTRUSTED.test(errorText(step)));
}

function accepted(step: ClientStep | undefined, server: ServerObservations | undefined, path: string): boolean {
  return ok200(step) && requestsTo(server, path).length > 0;
}

function established(server: ServerObservations | undefined): ConnectionRecord[] {
  return (server?.connections ?? []).filter((c) => c.tls?.outcome === 'established');
}

export function judgeAccepted({ client, server }: JudgeInput): Judgement {
  const step = findStep(client, 'request');
  const saw = serverSaw(server.tls);
  if (accepted(step, server.tls, '/tls/request') && established(server.tls).length > 0) {
    return fixed(`the context trusting the run CA was used: ${outcomeOf(step)}; ${saw}`);
  }
  if (isCertificateRefusal(step) && established(server.tls).length === 0) {
    return reproduced(`the server its context trusts was refused (${step!.error!.type}: ${step!.error!.message}): the context was not used; ${saw}`);
  }
  return unrecognised(`request: ${outcomeOf(step)} (${step?.error?.message ?? ''}); ${saw}`);
}

/** The bad-certificate cases: every request step must be refused, for the certificate's own defect. */
export function judgeRefused({ client, server, input }: JudgeInput): Judgement {
  const expected = EXPECTED_REFUSAL[String(input.case)];
  if (!expected) return unrecognised(`no expected refusal reason for case ${String(input.case)}`);
  const steps = client.steps.filter((s) => s.name.startsWith('request'));
  const saw = serverSaw(server.tls);
  if (steps.length === 0) return unrecognised(`the client reported no request; ${saw}`);
  const served = requestsTo(server.tls, '/tls/').length;
  const handshakes = established(server.tls).length;
  const acceptedSteps = steps.filter((s) => ok200(s));
  // Handshakes the server completed are an acceptance, unless every step was refused afterwards by the
  // client's own host name check (the only check a client may make after the handshake) and nothing was served.
  const refusedAfterHandshake =
    expected.kindAfterHandshake !== undefined &&
    steps.every((s) => !s.ok && s.error?.kind === expected.kindAfterHandshake && expected.pattern.test(errorText(s)));
  if (acceptedSteps.length || served > 0 || (handshakes > 0 && !refusedAfterHandshake)) {
    return reproduced(
      `a certificate the context must refuse (${expected.what}) was accepted: ${steps.map((s) => `${s.name} ${outcomeOf(s)}`).join(', ')}; ${saw}`,
    );
  }
  const wrongReason = steps.find((s) => isCertificateRefusal(s) && !expected.pattern.test(errorText(s)));
  if (wrongReason) {
    return reproduced(
      `${wrongReason.name} was refused for the wrong reason (expected ${expected.what}, got "${wrongReason.error!.message}"): ` +
        `the context's own checks were not what refused it; ${saw}`,
    );
  }
  if (steps.every((s) => isCertificateRefusal(s) && expected.pattern.test(errorText(s)))) {
    const when = handshakes > 0 ? ` after the handshake, before any request (the client checks the host name itself)` : '';
    return fixed(`refused for ${expected.what}${when}: ${steps.map((s) => `${s.name} ${s.error!.type}: ${s.error!.message}`).join('; ')}; ${saw}`);
  }
  return unrecognised(`${steps.map((s) => `${s.name}: ${outcomeOf(s)} (${s.error?.message ?? ''})`).join('; ')}; ${saw}`);
}

const NO_CLIENT_CERTIFICATE = /did not return a certificate|certificate required|peer did not return/i;

export function judgeMutualTls({ client, server }: JudgeInput): Judgement {
  const withCert = findStep(client, 'with-client-cert');
  const without = findStep(client, 'without-client-cert');
  const connections = server.tls?.connections ?? [];
  const saw = serverSaw(server.tls);
  const presented = connections.map((c) => c.tls?.clientCertificate).filter(Boolean);
  const refusedWithout = !ok200(without) && requestsTo(server.tls, '/tls/without-client-cert').length === 0;
  if (!refusedWithout) return unrecognised(`the server served a client that presented no certificate: the fixture does not require one; ${saw}`);
  if (accepted(withCert, server.tls, '/tls/with-client-cert') && presented.includes('regress-client')) {
    return fixed(`with ${String(client.facts.client_certificate ?? 'load_cert_chain')}: ${outcomeOf(withCert)}, the server verified client certificate CN=regress-client; without: ${outcomeOf(without)}; ${saw}`);
  }
  // Judged on the with-certificate step's own error (the server's "certificate required" alert), not on
  // a connection picked by position: the without-certificate refusal is provoked on purpose.
  const noCertificateRefusals = connections.filter((c) => NO_CLIENT_CERTIFICATE.test(c.tls?.error ?? '')).length;
  if (!ok200(withCert) && !presented.includes('regress-client') && NO_CLIENT_CERTIFICATE.test(errorText(withCert))) {
    return reproduced(
      `the client certificate loaded on the context was not presented: ${outcomeOf(withCert)} (${withCert?.error?.message ?? ''}); ` +
        `the server refused ${noCertificateRefusals} handshake(s) for want of a client certificate; ${saw}`,
    );
  }
  if (isCertificateRefusal(withCert) && established(server.tls).every((c) => c.tls?.clientCertificate !== 'regress-client')) {
    return reproduced(`the server its context trusts was refused (${withCert!.error!.message}): the context was not used; ${saw}`);
  }
  return unrecognised(`with cert: ${outcomeOf(withCert)}; without: ${outcomeOf(without)}; ${saw}`);
}
