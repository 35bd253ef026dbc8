// CVE-2023-32681 (GHSA-j8r2-6x86-q33q): on a redirect, requests' rebuild_proxies re-added the proxy's
// credentials as a Proxy-Authorization header of the redirected request itself. For an HTTPS URL that request
// travels inside the CONNECT tunnel, so the origin received the proxy's password. requests 2.31.0 adds the
// header only for plain-HTTP (forwarded) requests. A logging forward proxy requiring Basic credentials sits
// in front of a redirect pair with TLS: A (127.0.0.1) answers 302 to B (localhost), which records every
// header it receives.
import { randomBytes } from 'node:crypto';
import { defineScenario, forwardProxy, redirectServer, serveFixtures } from '../../harness/kit.ts';
import { judgeProxyAuthRedirect } from './judge.ts';

export default defineScenario({
  meta: {
    id: 'requests-proxy-auth-redirect',
    title: "the proxy's credentials stay on the CONNECT when an HTTPS request is redirected through the proxy",
    status: { requests: 'historic' },
    upstream: {
      issue: 'https://github.com/psf/requests/security/advisories/GHSA-j8r2-6x86-q33q',
      fix: ['https://github.com/psf/requests/commit/74ea7cf7a6a27a4eeb2ae24e162bcc942a6706d5 (2.31.0)'],
    },
    seedClaim: {
      firstFixed: '2.31.0',
      // The fix was merged from the advisory's private fork, without a numbered pull request; #6626 is the
      // CVE as reported in the tracker, the advisory is the claim itself.
      source:
        'https://github.com/psf/requests/issues/6626 (CVE-2023-32681 in the tracker); https://github.com/psf/requests/security/advisories/GHSA-j8r2-6x86-q33q: affected 2.3.0 - 2.30.0, patched 2.31.0',
    },
    measured: {
      lastBroken: '2.30.0',
      firstFixed: '2.31.0',
      note: 'every release from 2.20.0 (the family\'s oldest) to 2.30.0 reproduces, on urllib3 1.x and 2.x alike',
    },
    failureSignature: "origin B receives `Proxy-Authorization: Basic <the proxy's credentials>` on the redirected request, inside the CONNECT tunnel",
  },
  cases: [
    {
      name: 'https-redirect-via-proxy',
      summary: "proxies={'https': 'http://user:pass@proxy'}; HTTPS origin A answers 302 to HTTPS origin B; B records Proxy-Authorization",
      timeLimitMs: 20_000,
      unavoidableWaitMs: 0,
      setup: async ({ certs }) => {
        const set = await certs();
        const tls = { cert: set.trusted.cert, key: set.trusted.key };
        // A fresh password per run: an origin that shows it can only have had it from this client.
        const auth = { username: 'regress', password: randomBytes(9).toString('base64url') };
        return serveFixtures(
          {
            b: redirectServer({ partner: 'a', tls, host: 'localhost' }),
            a: redirectServer({ partner: 'b', tls }),
            proxy: forwardProxy({ auth }),
          },
          (s) => ({
            proxyUrl: s.proxy.urlWithCredentials,
            startUrl: `${s.a.url}/redirect?status=302&to=/landing`,
            caFile: set.ca.certPath,
          }),
        );
      },
      judge: judgeProxyAuthRedirect,
    },
  ],
});
