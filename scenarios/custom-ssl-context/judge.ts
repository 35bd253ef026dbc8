import type { ServerObservations } from '../../fixtures/connection-tracker.ts';
import { findStep, fixed, ok200, outcomeOf, reproduced, requestsTo, unrecognised } from '../../harness/scenario-kit.ts';
import type { ClientStep, JudgeInput, Judgement } from '../../harness/types.ts';

function tlsOutcomes(server: ServerObservations | undefined): string {
  const outcomes = (server?.connections ?? []).map((c) => c.tls?.outcome + (c.tls?.error ? ` (${c.tls.error})` : ''));
  return outcomes.length ? outcomes.join(', ') : 'no connection';
}

function accepted(step: ClientStep | undefined, server: ServerObservations | undefined, path: string): boolean {
  return ok200(step) && requestsTo(server, path).length > 0;
}

export function judgeAccepted({ client, server }: JudgeInput): Judgement {
  const step = findStep(client, 'request');
  if (accepted(step, server.tls, '/tls/request')) {
    return fixed(`the context trusting the run CA was used: 200; server TLS: ${tlsOutcomes(server.tls)}`);
  }
  // Refused as untrusted (not for another reason, such as an expiry) means the context was not used.
  if (step?.error?.kind === 'certificate' && /local issuer|self.signed|unknown ca|unable to verify/i.test(step.error.message)) {
    return reproduced(`the CA-signed server was refused (${step.error.type}: ${step.error.message}): the context was not used`);
  }
  return unrecognised(`request: ${outcomeOf(step)}; server TLS: ${tlsOutcomes(server.tls)}`);
}

export function judgeRefused({ client, server }: JudgeInput): Judgement {
  const step = findStep(client, 'request');
  const served = requestsTo(server.tls, '/tls/').length;
  if (step?.error?.kind === 'certificate' && served === 0) {
    return fixed(`refused with ${step.error.type}: ${step.error.message}; server TLS: ${tlsOutcomes(server.tls)}`);
  }
  if (ok200(step) || served > 0) {
    return reproduced(`a certificate the context must refuse was accepted (${outcomeOf(step)}; server served ${served} request(s))`);
  }
  return unrecognised(`request: ${outcomeOf(step)} (${step?.error?.message ?? ''}); server TLS: ${tlsOutcomes(server.tls)}`);
}

export function judgeMutualTls({ client, server }: JudgeInput): Judgement {
  const withCert = findStep(client, 'with-client-cert');
  const without = findStep(client, 'without-client-cert');
  const presented = (server.tls?.connections ?? []).map((c) => c.tls?.clientCertificate).filter(Boolean);
  const refusedWithout = !ok200(without) && requestsTo(server.tls, '/tls/without-client-cert').length === 0;
  if (accepted(withCert, server.tls, '/tls/with-client-cert') && presented.includes('regress-client') && refusedWithout) {
    return fixed(
      `with load_cert_chain: 200, server verified client certificate CN=regress-client; ` +
        `without: ${outcomeOf(without)}; server TLS: ${tlsOutcomes(server.tls)}`,
    );
  }
  // Not presented: the server's handshake failed for want of a client certificate on every connection.
  const noCertificate = (server.tls?.connections ?? []).some((c) => /did not return a certificate|certificate required/i.test(c.tls?.error ?? ''));
  if (!ok200(withCert) && !presented.includes('regress-client') && noCertificate && refusedWithout) {
    return reproduced(`the client certificate loaded on the context was not presented: ${outcomeOf(withCert)}`);
  }
  return unrecognised(`with cert: ${outcomeOf(withCert)}; without: ${outcomeOf(without)}; server TLS: ${tlsOutcomes(server.tls)}`);
}
