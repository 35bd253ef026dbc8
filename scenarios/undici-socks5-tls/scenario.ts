// CVE-2026-9697 (GHSA-vmh5-mc38-953g): undici's ProxyAgent over a socks5:// proxy dropped requestTls. The
// SOCKS5 path (lib/dispatcher/socks5-proxy-agent.js, 7.23.0 - 7.27.2 and 8.0.0 - 8.4.1) upgraded the tunnel
// with tls.connect({ socket, servername: <the URL's host>, ...connectOpts.tls }), and the pool's connect
// options carry no `tls`: the CA, rejectUnauthorized and servername the user gave in requestTls never reached
// the handshake, so a private CA's origin failed verification (and, worse, nothing the user configured was
// ever applied). Fixed by passing requestTls to the SOCKS5 agent (7.28.0, 8.5.0).
//
// A logging SOCKS5 proxy (no auth) in front of an HTTPS origin; the proxy logs the CONNECT to the origin and
// the bytes each way, the origin logs its handshake's outcome, the client reports its error's kind.
import { defineScenario, httpServer, serveFixtures, socks5Proxy } from '../../harness/kit.ts';
import type { CaseFixture, SetupContext } from '../../harness/types.ts';
import { judgeRequestTls } from './judge.ts';

const ADVISORY = 'https://github.com/nodejs/undici/security/advisories/GHSA-vmh5-mc38-953g';

/** The name the servername case's certificate is for (certs/: `wrongHost`), and the servername it passes. */
export const OTHER_NAME = 'wrong.host.invalid';

/**
 * An HTTPS origin with the given certificate behind a SOCKS5 proxy. `host` is how the client names the
 * origin: `localhost` (the proxy resolves it: a SOCKS5 domain request) or `127.0.0.1`.
 */
function socksToOrigin(certificate: 'trusted' | 'untrusted' | 'wrongHost', host: 'localhost' | '127.0.0.1') {
  return async ({ certs }: SetupContext): Promise<CaseFixture> => {
    const set = await certs();
    const pair = set[certificate];
    return serveFixtures(
      {
        origin: httpServer({ keepAliveTimeoutMs: 10_000, tls: { key: pair.key, cert: pair.cert } }),
        proxy: socks5Proxy(),
      },
      (s) => ({
        proxyUrl: s.proxy.url,
        url: `https://${host}:${s.origin.port}`,
        originPort: s.origin.port,
        caFile: set.ca.certPath,
        servername: OTHER_NAME,
      }),
    );
  };
}

export default defineScenario({
  meta: {
    id: 'undici-socks5-tls',
    status: 'historic',
    title: "undici's ProxyAgent over a SOCKS5 proxy applies requestTls (ca, rejectUnauthorized, servername) to the origin's handshake",
    upstream: {
      issue: ADVISORY,
      fix: [
        'https://github.com/nodejs/undici/commit/42d4955987a136ab29beff6c4ed424c9209b2600 "fix: honor requestTls when proxy is SOCKS5" (8.5.0: ProxyAgent passes requestTls to Socks5ProxyAgent, which spreads it into tls.connect)',
        'https://github.com/nodejs/undici/pull/5417 (its backport to v7.x, 7.28.0)',
      ],
    },
    seedClaim: { firstFixed: '7.28.0; 8.5.0', source: `${ADVISORY} (CVE-2026-9697): affected 7.23.0 - 7.27.2 and 8.0.0 - 8.4.x` },
    measured: {
      lastBroken: '7.27.2 (every release from 7.23.0, the first whose ProxyAgent takes socks5://); 8.4.1',
      firstFixed: '7.28.0; 8.5.0',
      note: 'no SOCKS5 before 7.23.0 (ProxyAgent throws "Invalid URL protocol" for socks5://, or in 5.0 - 5.10 fails every request with "Invalid URL"): not applicable. 8.x needs Node >= 22',
    },
    failureSignature:
      "the proxy relays a TLS handshake to the origin that the client aborts: UNABLE_TO_VERIFY_LEAF_SIGNATURE (or DEPTH_ZERO_SELF_SIGNED_CERT) although requestTls trusts the origin's certificate",
  },
  cases: [
    {
      name: 'request-tls-ca',
      summary: "requestTls: { ca: the run's CA }; the origin (https://localhost) presents a leaf signed by it: must be 200",
      timeLimitMs: 30_000,
      unavoidableWaitMs: 0,
      setup: socksToOrigin('trusted', 'localhost'),
      judge: judgeRequestTls,
    },
    {
      name: 'reject-unauthorized-false',
      summary: 'requestTls: { rejectUnauthorized: false }; the origin presents a self-signed certificate: must be 200',
      timeLimitMs: 30_000,
      unavoidableWaitMs: 0,
      setup: socksToOrigin('untrusted', 'localhost'),
      judge: judgeRequestTls,
    },
    {
      name: 'servername',
      summary: `requestTls: { ca, servername: '${OTHER_NAME}' }; the origin, reached as https://127.0.0.1, presents a certificate for ${OTHER_NAME} only: must be 200`,
      timeLimitMs: 30_000,
      unavoidableWaitMs: 0,
      setup: socksToOrigin('wrongHost', '127.0.0.1'),
      judge: judgeRequestTls,
    },
  ],
});
