import { socks5View } from '../../harness/fixture-kit.ts';
import { findStep, fixed, outcomeOf, reproduced, unrecognised } from '../../harness/scenario-kit.ts';
import type { JudgeInput, Judgement } from '../../harness/types.ts';

// Three sides: the SOCKS5 proxy's log (the client asked it for a CONNECT to the origin and it relayed bytes),
// the origin's handshake outcome (TLS established or aborted by the client, and the request that arrived),
// and the client's step (its status, or its error's kind and code).

/** Verify failures: what a handshake gives when the client's TLS settings were not applied. */
const VERIFY_KINDS = new Set(['certificate', 'hostname']);

export function judgeRequestTls(input: JudgeInput): Judgement {
  const name = String(input.input.case);
  const port = Number(input.input.originPort);
  const step = findStep(input.client, name);
  const error = step && !step.ok ? step.error : undefined;
  // The Node contract adds the error's own code (UNABLE_TO_VERIFY_LEAF_SIGNATURE) beside its kind.
  const code = (error as { code?: string } | undefined)?.code;
  const client = `client: ${outcomeOf(step)}${error ? ` (${error.kind}${code ? ` ${code}` : ''}: ${error.message.slice(0, 160)}${(error.chain ?? []).length ? ` <- ${error.chain!.join(' <- ').slice(0, 200)}` : ''})` : ''}`;

  const socks = socks5View(input.server.proxy);
  if (!socks) return unrecognised(`no SOCKS5 proxy observations; ${client}`);
  const toOrigin = socks.sessions.filter((s) => s.command === 'connect' && s.upstream?.port === port);
  const tunnels = toOrigin.filter((s) => s.outcome === 'tunnel');
  const proxySide =
    tunnels.length === 0
      ? `the SOCKS5 proxy logged ${socks.sessions.length} session(s), none a tunnel to the origin's port ${port} (${socks.sessions.map((s) => `${s.method ?? '?'} ${s.target ?? '-'} → ${s.outcome}`).join(', ') || 'none'})`
      : `the SOCKS5 proxy relayed ${tunnels.map((s) => `CONNECT ${s.target} (${s.addressType}, ${s.method}; ${s.tunnel?.bytesFromClient ?? 0} B from the client, ${s.tunnel?.bytesFromOrigin ?? 0} B from the origin, ended by ${s.tunnel?.endedBy ?? 'nobody yet'})`).join(', ')}`;
  if (tunnels.length === 0) return unrecognised(`${proxySide}: the request did not go through the proxy; ${client}`);

  const origin = input.server.origin;
  const handshakes = origin?.connections ?? [];
  const established = handshakes.filter((c) => c.tls?.outcome === 'established');
  const failed = handshakes.filter((c) => c.tls?.outcome === 'failed');
  const served = (origin?.requests ?? []).filter((r) => r.path.startsWith(`/socks5/${name}`));
  const originSide = `the origin saw ${handshakes.length} connection(s): ${established.length} handshake(s) established, ${failed.length} failed${
    failed.length ? ` (${[...new Set(failed.map((c) => c.tls?.error ?? '?'))].join('; ')})` : ''
  }, ${served.length} request(s) for /socks5/${name}`;
  if (handshakes.length === 0) return unrecognised(`${proxySide}, but ${originSide}: the proxy's relay never reached it; ${client}`);

  if (error && VERIFY_KINDS.has(error.kind) && served.length === 0 && failed.length > 0) {
    return reproduced(`${proxySide}; ${originSide}: the client aborted the handshake on a certificate that requestTls accepts; ${client}`);
  }
  if (step?.ok && step.status === 200 && served.length > 0 && established.length > 0) {
    return fixed(`${proxySide}; ${originSide}; ${client}`);
  }
  return unrecognised(`${proxySide}; ${originSide}; ${client}`);
}
