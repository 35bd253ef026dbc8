import type { ProxyExchange } from '../../fixtures/forward-proxy.ts';
import { findStep, fixed, outcomeOf, proxyView, receivedAt, reproduced, unrecognised } from '../../harness/kit.ts';
import type { JudgeInput, Judgement } from '../../harness/types.ts';

// #2596. Three witnesses: the client (the status of each of its two requests), the proxy (each request, the
// proxy connection it came on, its Proxy-Authorization and what the proxy answered) and the origin (what the
// proxy forwarded). The failure is the second request on the first request's proxy connection without the
// credentials, answered 407 by the proxy, and the client handed that 407.

function describe(e: ProxyExchange | undefined): string {
  if (!e) return 'never reached the proxy';
  return `${e.method} ${e.target} on proxy connection ${e.connection} ${e.proxyAuthorization ? (e.authorized ? 'with the right credentials' : 'with wrong credentials') : 'without Proxy-Authorization'} -> ${e.outcome}${e.status ? ` ${e.status}` : ''}`;
}

export function judgeProxyReuse({ client, server }: JudgeInput): Judgement {
  const proxy = proxyView(server.proxy);
  const first = findStep(client, 'first');
  const second = findStep(client, 'second');
  const exchanges = proxy?.exchanges ?? [];
  const at = (path: string): ProxyExchange | undefined => exchanges.find((e) => e.method === 'GET' && e.target.endsWith(path));
  const p1 = at('/landing/first');
  const p2 = at('/landing/second');
  const forwarded = receivedAt(server.origin, '/landing/').map((r) => r.path);
  const said =
    `client: first ${outcomeOf(first)}, second ${outcomeOf(second)}; proxy: first ${describe(p1)}; second ${describe(p2)}; ` +
    `${proxy?.proxyConnections.length ?? 0} proxy connection(s); origin received ${forwarded.length ? forwarded.join(', ') : 'nothing'}`;

  if (!proxy) return unrecognised(`the proxy recorded nothing; ${said}`);
  // The first request must have gone through authorized: otherwise the credentials never worked at all.
  if (!p1 || !p1.authorized || p1.outcome !== 'forwarded' || first?.status !== 200) return unrecognised(`the first request did not pass the proxy with its credentials; ${said}`);
  if (!p2 || !second || second.status === undefined) return unrecognised(`the second request did not reach the proxy or got no answer; ${said}`);
  const reused = p2.connection === p1.connection;
  if (p2.proxyAuthorization === undefined && p2.outcome === 'auth-required' && second.status === 407) {
    if (!reused) return unrecognised(`the second request lost its credentials on a new proxy connection (not #2596's reuse path); ${said}`);
    return reproduced(`the second request reused the first one's proxy connection without Proxy-Authorization, the proxy answered 407 and aiohttp returned it: ${said}`);
  }
  if (p2.authorized && p2.outcome === 'forwarded' && second.status === 200 && forwarded.includes('/landing/second')) {
    return fixed(`both requests carried the proxy's credentials${reused ? ', the second on the reused proxy connection' : ' (the second on a new proxy connection: the reuse path was not taken)'}: ${said}`);
  }
  return unrecognised(said);
}
