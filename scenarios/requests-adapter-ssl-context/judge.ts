import type { ConnectionRecord, ServerObservations } from '../../fixtures/connection-tracker.ts';
import { findStep, fixed, ok200, outcomeOf, reproduced, requestsTo, serverSaw, unrecognised } from '../../harness/scenario-kit.ts';
import type { ClientReport, ClientStep, JudgeInput, Judgement } from '../../harness/types.ts';

// Both cases put an HTTPAdapter subclass's own ssl_context between requests and a server whose leaf the run's
// CA signed. The client says whether the request was accepted and what the context held afterwards; the
// server says whether the handshake was refused (the client's "unknown ca" alert) or carried the request,
// and at which protocol version.

/** The client refusing the server's certificate for want of a trusted issuer. */
const UNTRUSTED_ISSUER = /unable to get local issuer|certificate verify failed|CERTIFICATE_VERIFY_FAILED/i;

function errorText(step: ClientStep | undefined): string {
  return [step?.error?.message ?? '', ...(step?.error?.chain ?? [])].join(' | ');
}

function refusedIssuer(step: ClientStep | undefined): boolean {
  return Boolean(step && !step.ok && (step.error?.kind === 'certificate' || UNTRUSTED_ISSUER.test(errorText(step))));
}

function established(server: ServerObservations | undefined): ConnectionRecord[] {
  return (server?.connections ?? []).filter((c) => c.tls?.outcome === 'established');
}

function failedHandshakes(server: ServerObservations | undefined): ConnectionRecord[] {
  return (server?.connections ?? []).filter((c) => c.tls?.outcome === 'failed');
}

function accepted(step: ClientStep | undefined, server: ServerObservations | undefined, path: string): boolean {
  return ok200(step) && requestsTo(server, path).length > 0 && established(server).length > 0;
}

/** Refused by the client in the handshake: no request reached the server, which saw the handshake fail. */
function refused(step: ClientStep | undefined, server: ServerObservations | undefined, path: string): boolean {
  return refusedIssuer(step) && requestsTo(server, path).length === 0 && failedHandshakes(server).length > 0 && established(server).length === 0;
}

function stepText(step: ClientStep | undefined): string {
  return `${outcomeOf(step)}${step?.error ? ` ${step.error.type}: ${step.error.message}` : ''}`;
}

function contextCas(client: ClientReport, step: string): string {
  const before = client.facts[`${step}_context_cas_before`];
  const after = client.facts[`${step}_context_cas_after`];
  return `the adapter's context held ${String(before)} CA certificate(s) before the request, ${String(after)} after`;
}

/** #6730: requests' default CA bundle (which trusts the run's CA here) must reach the adapter's context. */
export function judgeDefaultCa({ client, server }: JudgeInput): Judgement {
  const facts = client.facts;
  if (facts.default_bundle_trusts_run_ca !== true || facts.default_bundle_is_copy !== true) {
    return unrecognised(
      `requests' default bundle (${String(facts.default_bundle)}) is not the certifi copy holding the run's CA: the case's premise does not hold`,
    );
  }
  const control = findStep(client, 'plain-session');
  const step = findStep(client, 'adapter-context');
  const path = '/adapter/adapter-context';
  const said = `plain Session: ${stepText(control)}; adapter with its own ssl_context: ${stepText(step)}; ${contextCas(client, 'adapter-context')}; control server: ${serverSaw(server.control)}; adapter server: ${serverSaw(server.adapter)}`;
  if (!accepted(control, server.control, '/adapter/plain-session')) {
    // requests refused a server its default bundle trusts without any adapter: not the failure under test.
    return unrecognised(`the control request without an adapter was not accepted: ${said}`);
  }
  if (accepted(step, server.adapter, path)) {
    // 2.32.0 - 2.32.2 pass this case without loading anything into the adapter's context: they swap in
    // their own preloaded context (adapter-context-used), which the reason says, not the verdict.
    const after = facts['adapter-context_context_cas_after'];
    const how =
      typeof after === 'number' && after > 0
        ? "the default CA bundle was loaded into the adapter's context"
        : "accepted with requests' default bundle, but nothing was loaded into the adapter's context: requests made the handshake with a context of its own (#6715, see adapter-context-used)";
    return fixed(`${how}: ${said}`);
  }
  if (refused(step, server.adapter, path)) {
    return reproduced(`the adapter's own ssl_context was used without requests' default CA bundle, so a server that bundle trusts was refused: ${said}`);
  }
  return unrecognised(said);
}

/** #6715 / #6717 (PR #6716): the adapter's context (run CA loaded, TLS 1.2 at most) must be the one the handshake uses. */
export function judgeContextUsed({ client, server }: JudgeInput): Judgement {
  const step = findStep(client, 'adapter-context');
  const path = '/adapter/adapter-context';
  const protocols = established(server.adapter).map((c) => c.tls?.protocol);
  const said = `adapter with its own ssl_context: ${stepText(step)}; ${contextCas(client, 'adapter-context')}; server: ${serverSaw(server.adapter)}`;
  if (accepted(step, server.adapter, path) && protocols.every((p) => p === 'TLSv1.2')) {
    return fixed(`the adapter's context was used: its run CA trusted the server and its TLS 1.2 cap held; ${said}`);
  }
  if (accepted(step, server.adapter, path) && protocols.some((p) => p !== 'TLSv1.2')) {
    return reproduced(`the handshake went past the context's TLS 1.2 cap (${protocols.join(', ')}): another context was used; ${said}`);
  }
  if (refused(step, server.adapter, path)) {
    return reproduced(`the server the adapter's context trusts was refused: requests used a context of its own instead; ${said}`);
  }
  return unrecognised(said);
}
