import { createHash } from 'node:crypto';
import { proxyView, receivedAt } from '../../harness/fixture-kit.ts';
import { findStep, fixed, kindOf, outcomeOf, reproduced, unrecognised } from '../../harness/scenario-kit.ts';
import type { ClientStep, JudgeInput, Judgement } from '../../harness/types.ts';
import type { ProxyExchange } from '../../fixtures/forward-proxy.ts';

// Three sides: what the proxy read (a CONNECT naming the origin, or the request itself in absolute form with
// its headers), what the origin's TLS server saw (the handshake's outcome, the request and its body), and
// the client's step (status, or the error and its kind).

export const PROXY_AUTH = { username: 'regress', password: 'proxy-secret-10858' } as const;

/** What the client sends the origin; distinctive, so the judge finds it wherever the proxy could read it. */
export const SECRETS = {
  authorization: 'Bearer regress-token-6320',
  body: 'secret=body-secret-10957',
} as const;

const BODY_SHA256 = createHash('sha256').update(SECRETS.body).digest('hex');

function header(exchange: ProxyExchange, name: string): string | undefined {
  return exchange.headers.find(([n]) => n.toLowerCase() === name)?.[1];
}

/** `CONNECT 127.0.0.1:P HTTP/1.1 → tunnel 200`, for reasons. */
function shown(exchange: ProxyExchange): string {
  return `${exchange.requestLine} → ${exchange.outcome} ${exchange.status ?? '-'}`;
}

function clientSide(step: ClientStep | undefined): string {
  if (!step) return 'the client reported no step';
  const kind = !step.ok && step.error ? ` (${step.error.kind}: ${step.error.message.slice(0, 160)})` : '';
  const status = !step.ok && step.status !== undefined ? `, status ${step.status}` : '';
  return `client: ${outcomeOf(step)}${kind}${status}`;
}

/** The origin's TLS side: connections and their handshakes, and the requests it got. */
function originSide(input: JudgeInput): string {
  const origin = input.server.origin;
  const connections = origin?.connections ?? [];
  if (connections.length === 0) return 'the origin saw no connection';
  const handshakes = connections.map((c) => `${c.tls?.outcome ?? 'no TLS'}${c.tls?.error ? ` (${c.tls.error})` : ''}${c.tls?.protocol ? ` ${c.tls.protocol}` : ''}`);
  const received = receivedAt(origin, '/');
  return `the origin saw ${connections.length} connection(s), handshake ${handshakes.join(', ')}, ${received.length} request(s)${received.length ? `: ${received.map((r) => `${r.method} ${r.path}`).join(', ')}` : ''}`;
}

/** The absolute-form requests the proxy read (cleartext: its request line, Authorization, Content-Length). */
function cleartext(exchanges: ProxyExchange[]): { leaked: ProxyExchange[]; why: string } {
  const leaked = exchanges.filter((e) => e.method !== 'CONNECT');
  const why = leaked
    .map((e) => {
      const authorization = header(e, 'authorization');
      const length = header(e, 'content-length');
      const auth = authorization === undefined ? 'no Authorization' : `Authorization: ${authorization}${authorization === SECRETS.authorization ? ' (the client\'s token)' : ''}`;
      return `${shown(e)} with ${auth}${length ? `, Content-Length: ${length}` : ''}`;
    })
    .join('; ');
  return { leaked, why };
}

/** The proxy's exchanges, or why the case never got to the proxy. */
function proxyExchanges(input: JudgeInput): { exchanges?: ProxyExchange[]; problem?: string } {
  const proxy = proxyView(input.server.proxy);
  if (!proxy) return { problem: 'the proxy recorded nothing' };
  if (proxy.exchanges.length === 0) return { problem: 'the proxy received no request: the client did not use it' };
  return { exchanges: proxy.exchanges };
}

/**
 * tunnel: `reproduced` when the proxy received the request itself (absolute form `POST https://...`): it read
 * the URL, the Authorization header and the body. `fixed` when it received only CONNECTs naming the origin,
 * carrying no Authorization, and the tunnel carried bytes it could not read. Whether the TLS inside the tunnel
 * then verified is the other cases' question; this one reads only what the proxy could see.
 */
export function judgeTunnel(input: JudgeInput): Judgement {
  const name = String(input.input.case);
  const step = findStep(input.client, name);
  const client = clientSide(step);
  const { exchanges, problem } = proxyExchanges(input);
  if (!exchanges) return unrecognised(`${problem}; ${client}; ${originSide(input)}`);
  const { leaked, why } = cleartext(exchanges);
  if (leaked.length > 0) {
    return reproduced(`the proxy read the HTTPS request in cleartext: ${why}; ${originSide(input)}; ${client}`);
  }
  const origin = new URL(String(input.input.origin)).host;
  const wrongTarget = exchanges.filter((e) => e.target !== origin);
  if (wrongTarget.length > 0) return unrecognised(`CONNECT to ${wrongTarget.map((e) => e.target).join(', ')}, not the origin ${origin}; ${client}`);
  const withAuthorization = exchanges.filter((e) => header(e, 'authorization') !== undefined);
  if (withAuthorization.length > 0) {
    return reproduced(`the CONNECT carried the origin's Authorization header to the proxy: ${withAuthorization.map((e) => `${shown(e)} Authorization: ${header(e, 'authorization')}`).join('; ')}; ${client}`);
  }
  const used = exchanges.filter((e) => e.outcome === 'tunnel' && e.tunnel?.used);
  if (used.length === 0) return unrecognised(`the proxy got ${exchanges.map(shown).join(', ')} but no tunnel carried a byte; ${client}`);
  const bytes = used.map((e) => `${e.tunnel!.bytesFromClient} byte(s) out, ${e.tunnel!.bytesFromOrigin} back`).join('; ');
  const users = [...new Set(exchanges.map((e) => e.credentialsUser ?? 'none'))].join(', ');
  return fixed(`the proxy saw only ${exchanges.map(shown).join(', ')} (Proxy-Authorization user ${users}, no Authorization) and relayed ${bytes} it could not read; ${originSide(input)}; ${client}`);
}

/**
 * agent-ca, reject-unauthorized-false, global-agent-ca: the request must reach the origin inside the tunnel,
 * over TLS verified with the TLS options the case gives (`setup`, for the reason). `reproduced` when the proxy
 * got the request in absolute form (it never went to the origin over TLS at all), or when the tunnel opened
 * and the client refused the origin's certificate (kind `certificate`): the options were not applied.
 * `fixed` when the origin's handshake was established and it received the POST with the client's
 * Authorization and body (same sha256), and the client got its 200.
 */
export function judgeOriginTls(setup: string) {
  return (input: JudgeInput): Judgement => {
    const name = String(input.input.case);
    const step = findStep(input.client, name);
    const client = clientSide(step);
    const { exchanges, problem } = proxyExchanges(input);
    if (!exchanges) return unrecognised(`${problem}; ${client}; ${originSide(input)}`);
    const { leaked, why } = cleartext(exchanges);
    const atOrigin = receivedAt(input.server.origin, `/secret/${name}`);
    if (leaked.length > 0 && atOrigin.length === 0) {
      return reproduced(`never tunnelled: the proxy got the request in absolute form (${why}), so no TLS connection to the origin was made with ${setup}; ${originSide(input)}; ${client}`);
    }
    const tunnels = exchanges.filter((e) => e.method === 'CONNECT' && e.outcome === 'tunnel');
    if (tunnels.length === 0) return unrecognised(`the proxy got ${exchanges.map(shown).join(', ')} and opened no tunnel; ${client}`);
    const handshakes = (input.server.origin?.connections ?? []).map((c) => c.tls?.outcome);
    if (atOrigin.length === 0) {
      if (step && !step.ok && kindOf(step) === 'certificate' && handshakes.includes('failed')) {
        return reproduced(`the proxy opened ${tunnels.map(shown).join(', ')}, but the client refused the origin's certificate inside it, with ${setup}: the tunnel's TLS did not use those options; ${originSide(input)}; ${client}`);
      }
      return unrecognised(`the tunnel opened (${tunnels.map(shown).join(', ')}) but the origin received no request; ${originSide(input)}; ${client}`);
    }
    const request = atOrigin[0]!;
    const intact = request.method === 'POST' && request.authorization === SECRETS.authorization && request.body.sha256 === BODY_SHA256;
    if (!intact) return unrecognised(`the origin received ${request.method} ${request.path} with Authorization ${request.authorization ?? 'none'} and ${request.body.bytes} body byte(s), not the client's request; ${client}`);
    if (!handshakes.includes('established') || !step?.ok || step.status !== 200) {
      return unrecognised(`the origin received the request but ${originSide(input)}; ${client}`);
    }
    const cleartextToo = leaked.length > 0 ? ` (yet the proxy also read ${why})` : '';
    return fixed(`the proxy saw ${tunnels.map(shown).join(', ')}${cleartextToo}; inside it the origin's TLS handshake was established with ${setup}, and it received POST ${request.path} with the client's Authorization and its ${request.body.bytes}-byte body (sha256 matches); ${client}`);
  };
}
