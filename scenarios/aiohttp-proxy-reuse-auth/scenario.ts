// aio-libs/aiohttp#2596: two plain-HTTP requests through a proxy that requires Basic credentials, on one
// session. The first opens the proxy connection with Proxy-Authorization; the second reuses it from the pool.
// Up to 3.13.2 the connector's reuse path never applied the request's proxy headers to the reused connection,
// so the second request reached the proxy without Proxy-Authorization and got 407. #11777 (3.13.3) passes
// the proxy headers on reuse. The logging forward proxy records, per proxy connection, every request and its
// credentials; the origin behind it records what was forwarded.
import { randomBytes } from 'node:crypto';
import { forwardProxy, redirectServer, serveFixtures } from '../../harness/fixture-kit.ts';
import { defineScenario } from '../../harness/scenario-kit.ts';
import { judgeProxyReuse } from './judge.ts';

const ISSUE = 'https://github.com/aio-libs/aiohttp/issues/2596';
const FIX = 'https://github.com/aio-libs/aiohttp/pull/11777';

export default defineScenario({
  meta: {
    id: 'aiohttp-proxy-reuse-auth',
    status: 'historic',
    title: "aiohttp keeps the proxy's credentials on a plain-HTTP request that reuses a pooled proxy connection",
    upstream: {
      issue: ISSUE,
      fix: [`${FIX} "propagate proxy headers on connection reuse", backported as https://github.com/aio-libs/aiohttp/pull/11861 (3.13.3)`],
    },
    seedClaim: { firstFixed: '3.13.3', source: `${ISSUE} (closed by ${FIX}, backport #11861 in 3.13.3); claim: 3.11.0 - 3.13.2 reproduced` },
    measured: {
      lastBroken: '3.13.2',
      firstFixed: '3.13.3',
      note: 'see the README for the releases measured',
    },
    failureSignature: 'the proxy receives the second request on the same proxy connection without Proxy-Authorization and answers 407; aiohttp returns the 407',
  },
  cases: [
    {
      name: 'reused-proxy-connection',
      summary: "proxy='http://user:pass@proxy' (as #2596 gives it); GET /landing/first then GET /landing/second on one session; the proxy logs each request's Proxy-Authorization",
      timeLimitMs: 30_000,
      unavoidableWaitMs: 0,
      setup: () => {
        // A fresh password per run: credentials the proxy accepts can only have come from this client's input.
        const auth = { username: 'regress', password: randomBytes(9).toString('base64url') };
        return serveFixtures({ origin: redirectServer(), proxy: forwardProxy({ auth }) }, (s) => ({
          origin: s.origin.url,
          proxyUrl: s.proxy.urlWithCredentials,
        }));
      },
      judge: judgeProxyReuse,
    },
  ],
});
