import type { ReceivedRequest } from '../../fixtures/redirect-pair.ts';
import { findStep, fixed, ok200, outcomeOf, proxyView, receivedAt, reproduced, tunnelsOf, unrecognised } from '../../harness/kit.ts';
import type { JudgeInput, Judgement } from '../../harness/types.ts';

// CVE-2023-32681. Three witnesses: the proxy (every CONNECT, with the credentials it carried and whether the
// tunnel was used), origin A (the request that redirected) and origin B (the redirected request, every
// header as received inside the tunnel). The proxy's credentials belong on the CONNECTs only; an origin that
// received them got them from the client, through the tunnel (the proxy cannot see inside it).

/** The Basic header the proxy's credentials make: what an origin must never receive. */
export function proxyCredentials(proxyUrl: string): string {
  const url = new URL(proxyUrl);
  return `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
}

function leaked(requests: ReceivedRequest[]): ReceivedRequest[] {
  return requests.filter((r) => r.proxyAuthorization !== undefined);
}

export function judgeProxyAuthRedirect({ client, server, input }: JudgeInput): Judgement {
  const step = findStep(client, 'redirected');
  const expected = proxyCredentials(String(input.proxyUrl));
  const proxy = proxyView(server.proxy);
  const tunnels = tunnelsOf(server.proxy);
  const atA = receivedAt(server.a, '/redirect');
  const atB = receivedAt(server.b, '/landing');
  const tunnelText = tunnels.length
    ? tunnels.map((t) => `CONNECT ${t.target} ${t.outcome}${t.status ? ` ${t.status}` : ''}${t.proxyAuthorization ? ' with credentials' : ' without credentials'}${t.tunnel?.used ? ', used' : ''}`).join('; ')
    : 'no CONNECT';
  const originText = (name: string, rs: ReceivedRequest[]): string =>
    rs.length ? rs.map((r) => `${r.method} ${r.path} ${r.proxyAuthorization ? `with Proxy-Authorization: ${r.proxyAuthorization}` : 'without Proxy-Authorization'}`).join('; ') : 'nothing';
  const said =
    `client: ${outcomeOf(step)}${step?.error ? ` ${step.error.type}: ${step.error.message}` : ''}, history ${JSON.stringify(client.facts.history ?? null)}; ` +
    `proxy: ${tunnelText}; origin A: ${originText('A', atA)}; origin B: ${originText('B', atB)}`;

  if (!proxy) return unrecognised(`the proxy recorded nothing; ${said}`);
  const authorizedTunnels = tunnels.filter((t) => t.outcome === 'tunnel' && t.authorized && t.proxyAuthorization === expected && t.tunnel?.used);
  // The leak needs a redirect followed through the proxy: both origins reached through authorized tunnels.
  if (!ok200(step) || atA.length === 0 || atB.length === 0 || authorizedTunnels.length < 2) {
    return unrecognised(`the redirect was not followed through two authorized tunnels; ${said}`);
  }
  const toB = leaked(atB);
  const toA = leaked(atA);
  if (toB.length || toA.length) {
    const where = [toA.length ? 'origin A' : '', toB.length ? 'origin B (the redirect target)' : ''].filter(Boolean).join(' and ');
    const same = [...toA, ...toB].every((r) => r.proxyAuthorization === expected) ? "the proxy's own credentials" : 'a Proxy-Authorization header';
    return reproduced(`${where} received ${same} inside the CONNECT tunnel: ${said}`);
  }
  return fixed(`the proxy's credentials went only to the proxy, with each CONNECT; neither origin received Proxy-Authorization: ${said}`);
}
