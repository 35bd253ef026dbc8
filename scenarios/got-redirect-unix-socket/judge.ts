import { unixSocketView } from '../../harness/fixture-kit.ts';
import { findStep, fixed, outcomeOf, reproduced, unrecognised } from '../../harness/scenario-kit.ts';
import type { ClientStep, JudgeInput, Judgement } from '../../harness/types.ts';
import { INTERNAL_SECRET, type SocketRequest, type UnixSocketObservations } from '../../fixtures/unix-socket-server.ts';

// Two sides: the TCP front (it received the GET and answered the redirect to the socket) and the UNIX
// socket's own log (was it reached, on which path, with the run's client token); then the client's step
// (what it returned or raised).

function clientSide(step: ClientStep | undefined): string {
  if (!step) return 'the client reported no step';
  if (!step.ok) return `client: ${step.error?.type ?? 'error'} (${step.error?.kind}: ${step.error?.message?.slice(0, 160)})`;
  const hops = Array.isArray(step.redirect_urls) && step.redirect_urls.length ? ` after redirects to ${step.redirect_urls.join(', ')}` : '';
  return `client: ${outcomeOf(step)}, body ${JSON.stringify(step.body)}${hops}`;
}

function socketSide(server: UnixSocketObservations): string {
  if (server.socketRequests.length === 0) return `the UNIX socket received nothing (${server.socketConnections} connection(s))`;
  const shown = (r: SocketRequest): string => `${r.method} ${r.path} at ${(r.at / 1000).toFixed(3)} s${r.carriesToken ? ' (with the client token)' : ''}`;
  return `the UNIX socket received ${server.socketRequests.map(shown).join(', ')}`;
}

/**
 * `reproduced`: the socket received the redirected GET /admin (the client reached a local-only socket
 * because a TCP server told it to). `fixed`: the front answered the redirect, the socket received nothing
 * and the client refused the redirect (got raises `Cannot redirect to UNIX socket`; any other failure is
 * an error verdict). A front that never answered the redirect is neither.
 */
export function judgeRedirect(input: JudgeInput): Judgement {
  const server = unixSocketView(input.server.internal);
  if (!server) return unrecognised('the UNIX-socket fixture recorded nothing');
  const step = findStep(input.client, 'get');
  const redirects = server.front.filter((e) => e.path.startsWith('/redirect') && e.location);
  const said = `${socketSide(server)}; ${clientSide(step)}`;
  if (redirects.length !== 1) return unrecognised(`the front answered ${redirects.length} redirect(s), expected 1; ${said}`);
  const sideFront = `the front answered ${redirects[0]!.status} → ${redirects[0]!.location}`;
  const reached = server.socketRequests.filter((r) => r.path === '/admin');
  if (reached.length > 0) {
    return {
      ...reproduced(`${sideFront}; ${said}`),
      measure: { what: 'requests that reached the UNIX socket through a redirect', value: reached.length, tolerance: 0 },
    };
  }
  if (server.socketRequests.length > 0) return unrecognised(`${sideFront}; the socket was reached on another path; ${said}`);
  if (step?.ok && String(step.body ?? '').includes(INTERNAL_SECRET)) return unrecognised(`${sideFront}; the client returned the socket's answer, yet the socket logged nothing; ${said}`);
  if (step?.ok) return unrecognised(`${sideFront}; the client returned something else without following the redirect; ${said}`);
  // Fixed only when got refused the redirect itself: a timeout or a failure to parse the Location would
  // also leave the socket untouched, and prove nothing about the guard.
  if (!/redirect to UNIX socket/i.test(String(step?.error?.message ?? ''))) {
    return unrecognised(`${sideFront}; the socket was not reached, but the client failed for another reason than refusing the redirect; ${said}`);
  }
  return fixed(`${sideFront}; ${said}`);
}

/** The control: a GET straight to the socket URL reaches the socket and returns its answer. */
export function judgeDirect(input: JudgeInput): Judgement {
  const server = unixSocketView(input.server.internal);
  if (!server) return unrecognised('the UNIX-socket fixture recorded nothing');
  const step = findStep(input.client, 'get');
  const said = `${socketSide(server)}; ${clientSide(step)}`;
  const direct = server.socketRequests.filter((r) => r.path === '/direct');
  if (direct.length === 1 && step?.ok && step.status === 200 && step.body === INTERNAL_SECRET) return fixed(`the client reached the socket when asked to; ${said}`);
  return unrecognised(`the client could not reach the UNIX socket directly, so a refused redirect would say nothing; ${said}`);
}
