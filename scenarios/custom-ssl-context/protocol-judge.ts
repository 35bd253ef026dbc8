import type { ConnectionRecord } from '../../fixtures/connection-tracker.ts';
import { fixed, outcomeOf, reproduced, requestsTo, serverSaw, unrecognised } from '../../harness/scenario-kit.ts';
import type { ClientStep, JudgeInput, Judgement } from '../../harness/types.ts';
import { CERTIFICATE_KINDS } from './judge.ts';

// The protocol floor: a context the client makes itself must not agree on less than TLS 1.2, and a context
// given with minimum_version = TLSv1_3 must not agree on TLS 1.2. The server offers only what the client
// must refuse, so the refusal has to come in the handshake's first exchange: the client's ClientHello
// offers nothing the server speaks. The server's record says what was agreed (protocol, cipher) or why the
// handshake failed; the client's error says which side gave up and when.

/** The server's own reason for a ClientHello that offers none of its protocol versions. */
const SERVER_VERSION_REFUSAL = /unsupported protocol|wrong version number|version too low|no protocols available/i;
/** The client's error for a server answering with the protocol_version alert (or offering nothing it allows). */
const CLIENT_VERSION_REFUSAL = /protocol version|unsupported protocol|no protocols available|wrong version number|version too low/i;

function errorText(step: ClientStep): string {
  return [step.error?.message ?? '', ...(step.error?.chain ?? [])].join(' | ');
}

function describeAgreed(c: ConnectionRecord): string {
  return `connection ${c.id}: ${c.tls?.protocol ?? 'unknown protocol'}${c.tls?.cipher ? ` with ${c.tls.cipher}` : ''}`;
}

/** legacy-server (steps default-context, ca-context) and minimum-tls13 (step request). */
export function judgeProtocolRefused({ client, server, input }: JudgeInput): Judgement {
  const tls = server.tls;
  const saw = serverSaw(tls);
  const offered = input.case === 'legacy-server' ? 'only TLS 1.0/1.1' : 'only TLS 1.2';
  const floor = input.case === 'legacy-server' ? 'TLS 1.2 (the floor of every context the client builds)' : 'TLS 1.3 (the context\'s minimum_version)';
  const steps = client.steps.filter((s) => s.name !== 'close');
  if (steps.length === 0) return unrecognised(`the client reported no request; ${saw}`);
  const connections = tls?.connections ?? [];

  // Both sides: a handshake the server completed, or a request it served, is a protocol the client agreed to.
  const agreed = connections.filter((c) => c.tls?.outcome === 'established');
  const served = requestsTo(tls, '/tls/').length;
  if (agreed.length || served || steps.some((s) => s.ok)) {
    return reproduced(
      `the client agreed on ${agreed.map(describeAgreed).join(', ') || 'a handshake'} with a server that offers ${offered}, below ${floor}: ` +
        `${steps.map((s) => `${s.name} ${outcomeOf(s)}`).join(', ')}; ${served} request(s) served; ${saw}`,
    );
  }
  // A client that offered the server's protocol gets as far as its certificate and refuses that instead:
  // the server saw the handshake fail for another reason than the version, the client a certificate error.
  const pastVersion = connections.filter((c) => c.tls?.outcome === 'failed' && !SERVER_VERSION_REFUSAL.test(c.tls.error ?? ''));
  const certificateRefusal = steps.find((s) => CERTIFICATE_KINDS.has(s.error?.kind ?? ''));
  if (certificateRefusal || pastVersion.length) {
    const which = certificateRefusal ?? steps.find((s) => !CLIENT_VERSION_REFUSAL.test(errorText(s)));
    return reproduced(
      `the client offered a protocol below ${floor} and the handshake went on to the certificate ` +
        `(${which ? `${which.name}: ${which.error?.type}: ${which.error?.message}` : 'no step named it'}; the server saw ` +
        `${pastVersion.map((c) => `connection ${c.id} fail: ${c.tls?.error ?? 'no reason'}`).join(', ') || 'no version refusal'}); ${saw}`,
    );
  }
  const refusedByVersion = connections.filter((c) => c.tls?.outcome === 'failed' && SERVER_VERSION_REFUSAL.test(c.tls.error ?? ''));
  const clientSaysVersion = steps.every((s) => !s.ok && CLIENT_VERSION_REFUSAL.test(errorText(s)));
  if (clientSaysVersion && refusedByVersion.length >= steps.length && refusedByVersion.length === connections.length) {
    return fixed(
      `every handshake stopped at the protocol version, as the server offers ${offered}: ` +
        `${steps.map((s) => `${s.name} ${s.error!.type}: ${s.error!.message}`).join('; ')}; ${saw}`,
    );
  }
  return unrecognised(`${steps.map((s) => `${s.name}: ${outcomeOf(s)} (${s.error?.message ?? ''})`).join('; ')}; ${saw}`);
}
