// local_address ignored for proxy connections: httpx.AsyncHTTPTransport(local_address='127.0.0.2',
// proxy=...) binds its direct connections to 127.0.0.2, but connects to the proxy from the default address.
// httpx's transport never hands local_address to httpcore's proxy pool, and httpcore's proxy pool never hands
// it to the forward and tunnel connections it opens: encode/httpx#2997 and encode/httpcore#857 proposed the
// fix (the httpcore half was closed as wontfix; open upstream). httpx2 2.17.0 passes it through both layers
// (pydantic/httpx2#1172). All of 127/8 is loopback on Linux, so the fixtures see 127.0.0.2 as the peer of a
// connection that honours it, 127.0.0.1 of one that does not.
import { forwardProxy, httpServer, serveFixtures } from '../../harness/fixture-kit.ts';
import { defineScenario } from '../../harness/scenario-kit.ts';
import type { CaseDefinition } from '../../harness/types.ts';
import { judgeDirect, judgeViaProxy, LOCAL_ADDRESS } from './judge.ts';

function localAddressCase(name: string, summary: string, viaProxy: boolean, judge: CaseDefinition['judge']): CaseDefinition {
  return {
    name,
    summary,
    timeLimitMs: 20_000,
    unavoidableWaitMs: 0,
    setup: async ({ certs }) => {
      const set = await certs();
      const origins = {
        origin: httpServer({ keepAliveTimeoutMs: 5_000 }),
        tlsOrigin: httpServer({ keepAliveTimeoutMs: 5_000, tls: { cert: set.trusted.cert, key: set.trusted.key } }),
      };
      const input = (s: { origin: { url: string }; tlsOrigin: { url: string } }) => ({
        originUrl: s.origin.url,
        tlsOriginUrl: s.tlsOrigin.url,
        caFile: set.ca.certPath,
        localAddress: LOCAL_ADDRESS,
      });
      return viaProxy
        ? serveFixtures({ ...origins, proxy: forwardProxy() }, (s) => ({ ...input(s), proxyUrl: s.proxy.url }))
        : serveFixtures(origins, input);
    },
    judge,
  };
}

export default defineScenario({
  meta: {
    id: 'proxy-local-address',
    status: { httpx: 'open-upstream', httpx2: 'historic' },
    title: 'local_address also binds the connections to a proxy (forwarded and tunnelled requests)',
    upstream: {
      issue: 'https://github.com/encode/httpx/pull/2997',
      fix: [
        'https://github.com/encode/httpx/pull/2997 (open)',
        'https://github.com/encode/httpcore/pull/857 (closed, wontfix)',
        'https://github.com/pydantic/httpx2/pull/1172 (httpx2 2.17.0)',
      ],
    },
    seedClaim: {
      firstFixed: 'httpx2 2.17.0; none for httpx',
      source: 'https://github.com/pydantic/httpx2/pull/1172 (httpx2 2.17.0); for httpx https://github.com/encode/httpx/pull/2997 (open)',
    },
    measured: {
      lastBroken: 'httpx 0.29.0 (httpcore 1.0.9, the newest httpx); httpx2 2.16.2',
      firstFixed: 'httpx2 2.17.0 (httpx: open upstream)',
      note: 'every httpx from 0.17 (the first AsyncHTTPTransport) and httpx2 2.0.0 - 2.16.2 connect to the proxy from 127.0.0.1; direct connections honour local_address everywhere',
    },
    failureSignature: 'the proxy sees its client connections from 127.0.0.1 although the transport was given local_address=127.0.0.2',
  },
  cases: [
    localAddressCase('direct', 'no proxy: both origins see the client from 127.0.0.2 (local_address honoured)', false, judgeDirect),
    localAddressCase(
      'via-proxy',
      'through the logging forward proxy (a forwarded http:// request, a CONNECT tunnel to https://): every proxy connection from 127.0.0.2',
      true,
      judgeViaProxy,
    ),
  ],
});
