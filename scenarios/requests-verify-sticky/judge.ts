import type { ConnectionRecord, ServerObservations } from '../../fixtures/connection-tracker.ts';
import { connectionsCarrying, findStep, fixed, ok200, outcomeOf, reproduced, serverSaw, unrecognised } from '../../harness/scenario-kit.ts';
import type { ClientStep, JudgeInput, Judgement } from '../../harness/types.ts';

// CVE-2024-35195. The server's record says which connection carried which request and how each handshake
// ended; the client's steps say what each request returned. The verified request must get a handshake of
// its own and refuse the self-signed leaf: served on the unverified request's connection, it is the CVE.

/** The client refusing the server's certificate, in OpenSSL's or the client's words. */
const CERTIFICATE_REFUSED = /certificate verify failed|CERTIFICATE_VERIFY_FAILED|self[- ]signed certificate|unable to get local issuer/i;

function errorText(step: ClientStep | undefined): string {
  return [step?.error?.message ?? '', ...(step?.error?.chain ?? [])].join(' | ');
}

function refusedCertificate(step: ClientStep | undefined): boolean {
  return Boolean(step && !step.ok && (step.error?.kind === 'certificate' || CERTIFICATE_REFUSED.test(errorText(step))));
}

function describe(c: ConnectionRecord): string {
  const tls = c.tls ? `${c.tls.outcome}${c.tls.protocol ? ` ${c.tls.protocol}` : ''}${c.tls.error ? ` (${c.tls.error})` : ''}` : 'no TLS';
  return `#${c.id} ${tls}, ${c.paths.length ? c.paths.join(' + ') : 'no request'}`;
}

function connectionsSaid(server: ServerObservations | undefined): string {
  const all = server?.connections ?? [];
  return all.length ? `connections: ${all.map(describe).join('; ')}` : 'no connection';
}

export function judgeVerifySticky({ client, server }: JudgeInput): Judgement {
  const tls = server.tls;
  const unverified = findStep(client, 'unverified');
  const verified = findStep(client, 'verified');
  const saw = `${serverSaw(tls)}; ${connectionsSaid(tls)}`;
  const steps = `unverified (verify=False): ${outcomeOf(unverified)}; verified (verify=True): ${outcomeOf(verified)}${verified?.error ? ` ${verified.error.type}: ${verified.error.message}` : ''}`;

  const first = connectionsCarrying(tls, '/sticky/unverified');
  if (!ok200(unverified) || first.length !== 1) {
    // Without an accepted unverified request there is no pooled connection to misuse: the case says nothing.
    return unrecognised(`the verify=False request was not served on one connection: ${steps}; ${saw}`);
  }
  const pooled = first[0]!;
  const second = connectionsCarrying(tls, '/sticky/verified');
  const handshakes = (tls?.connections ?? []).filter((c) => c.tls && c.tls.outcome !== 'pending');

  if (ok200(verified) && second.length === 1 && second[0] === pooled) {
    return reproduced(
      `the verify=True request was sent on the connection the verify=False request had opened (#${pooled}), ` +
        `with ${handshakes.length} TLS handshake(s) in all: its certificate was never verified; ${steps}; ${saw}`,
    );
  }
  if (ok200(verified) && second.length > 0) {
    return reproduced(`the verify=True request accepted the self-signed leaf on a new handshake (#${second.join(', #')}); ${steps}; ${saw}`);
  }
  const refusedHandshakes = handshakes.filter((c) => c.id !== pooled && c.tls?.outcome === 'failed');
  if (refusedCertificate(verified) && second.length === 0 && refusedHandshakes.length > 0) {
    return fixed(
      `the verify=True request opened a new connection (#${refusedHandshakes.map((c) => c.id).join(', #')}) and refused the ` +
        `self-signed leaf in its handshake; the verify=False connection #${pooled} carried only its own request; ${steps}; ${saw}`,
    );
  }
  return unrecognised(`${steps}; ${saw}`);
}
