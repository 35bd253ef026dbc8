import type { ServerObservations } from '../../fixtures/connection-tracker.ts';
import { findStep, fixed, ok200, outcomeOf, reproduced, requestsTo, unrecognised } from '../../harness/scenario-kit.ts';
import type { JudgeInput, Judgement } from '../../harness/types.ts';

const NO_CERTIFICATE = /did not return a certificate|certificate required/i;

function handshakes(server: ServerObservations | undefined): string {
  const all = (server?.connections ?? []).map(
    (c) => `${c.tls?.outcome}${c.tls?.clientCertificate ? ` with client certificate CN=${c.tls.clientCertificate}` : ''}${c.tls?.error ? ` (${c.tls.error})` : ''}`,
  );
  return all.length ? all.join(', ') : 'no connection';
}

/** The client refused the server's certificate although verification is off in both forms. */
const VERIFIED_ANYWAY = /certificate verify failed|CERTIFICATE_VERIFY_FAILED|self[- ]signed|unknown ca|local issuer/i;

type StepVerdict = 'presented' | 'withheld' | 'verified-anyway' | 'other';

export function judgeVerifyFalse({ client, server }: JudgeInput): Judgement {
  const forms = [
    { step: 'cert-argument', server: server.argument, label: 'verify=False, cert=(crt, key)' },
    { step: 'context-form', server: server.context, label: 'verify=<SSLContext CERT_NONE + load_cert_chain>' },
  ]
    .filter((f) => findStep(client, f.step))
    // A family whose settings have other names (Node's rejectUnauthorized / secureContext) names each form.
    .map((f) => ({ ...f, label: String(client.facts[`${f.step}_form`] ?? f.label) }));
  if (forms.length === 0) return unrecognised('the client ran neither form');

  const judged = forms.map((f) => {
    const step = findStep(client, f.step);
    const connections = f.server?.connections ?? [];
    let verdict: StepVerdict = 'other';
    if (ok200(step) && requestsTo(f.server, `/mtls/${f.step}`).length > 0 && connections.some((c) => c.tls?.clientCertificate === 'regress-client')) {
      verdict = 'presented';
    } else if (!ok200(step) && connections.length > 0 && connections.every((c) => c.tls?.outcome === 'failed' && NO_CERTIFICATE.test(c.tls.error ?? ''))) {
      verdict = 'withheld';
    } else if (!ok200(step) && VERIFIED_ANYWAY.test(`${step?.error?.message ?? ''} ${(step?.error?.chain ?? []).join(' ')}`) && !connections.some((c) => c.tls?.outcome === 'established')) {
      // Verification off, yet the client refused the server: its settings were not the ones used.
      verdict = 'verified-anyway';
    }
    const deprecation = client.facts[`${f.step}_deprecation`] ? ' (DeprecationWarning)' : '';
    return { ...f, verdict, text: `${f.label}${deprecation}: ${outcomeOf(step)}${step?.error ? ` ${step.error.message}` : ''}; server handshake: ${handshakes(f.server)}` };
  });
  const summary = judged.map((j) => j.text).join('; ');
  if (judged.some((j) => j.verdict === 'withheld')) {
    return reproduced(`the client certificate was not presented with verification off: ${summary}`);
  }
  if (judged.some((j) => j.verdict === 'verified-anyway')) {
    return reproduced(`the client verified the server's certificate although verification was turned off: ${summary}`);
  }
  if (judged.every((j) => j.verdict === 'presented')) {
    return fixed(`the server verified the client certificate with verification off: ${summary}`);
  }
  return unrecognised(summary);
}
