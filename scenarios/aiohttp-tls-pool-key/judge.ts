import { findStep, fixed, kindOf, ok200, outcomeOf, reproduced, unrecognised } from '../../harness/kit.ts';
import type { JudgeInput, Judgement } from '../../harness/types.ts';

// #12835. Two witnesses: the client (what each request returned or raised, and the kind: a hostname check
// failing is `hostname`) and the TLS server (each connection, its handshake, the paths it carried). The
// failure is /other-name served on the connection whose handshake verified the first name: one handshake,
// both requests on it, a 200 for a name the certificate does not cover.

export function judgeTlsPoolKey({ client, server }: JudgeInput): Judgement {
  const tls = server.tls;
  const valid = findStep(client, 'valid-name');
  const other = findStep(client, 'other-name');
  const connections = tls?.connections ?? [];
  const carrying = (path: string) => connections.filter((c) => c.paths.some((p) => p.startsWith(path)));
  const first = carrying('/valid-name');
  const second = carrying('/other-name');
  const handshakes = connections.filter((c) => c.tls?.outcome === 'established').length;
  const failed = Math.max(tls?.tlsFailures ?? 0, connections.filter((c) => c.tls?.outcome === 'failed').length);
  const said =
    `client: valid-name ${outcomeOf(valid)}, other-name ${outcomeOf(other)}${other?.error ? ` (${other.error.type}: ${other.error.message})` : ''}; ` +
    `server: ${connections.length} connection(s), ${handshakes} established handshake(s), ${failed} failed; ` +
    `/valid-name on connection ${first.map((c) => c.id).join(',') || 'none'}, /other-name on connection ${second.map((c) => c.id).join(',') || 'none'}`;

  if (!tls) return unrecognised(`the TLS server recorded nothing; ${said}`);
  // The valid name must pass: otherwise the client's trust or the certificate is wrong, not the pool.
  if (!ok200(valid) || first.length !== 1) return unrecognised(`the request for the certificate's own name did not pass; ${said}`);
  if (ok200(other) && second.length === 1) {
    if (second[0]!.id === first[0]!.id) {
      return reproduced(`the request for a name the certificate does not cover was served on the pooled connection verified for 'localhost': ${said}`);
    }
    // A new handshake that accepted the other name would be a verification failure, not the pool's.
    return unrecognised(`the other name passed a handshake of its own; ${said}`);
  }
  const kind = kindOf(other);
  if (other && !other.ok && (kind === 'hostname' || kind === 'certificate') && second.length === 0) {
    return fixed(`the other name got a connection of its own whose handshake refused the certificate (${kind}); the server never received /other-name: ${said}`);
  }
  return unrecognised(said);
}
