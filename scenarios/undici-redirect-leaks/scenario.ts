// undici's own redirect handling across origins: what it carries from server A to server B. Three
// advisories, one case each, on the cross-origin redirect pair (A and B on two ports of 127.0.0.1: two
// origins): a Cookie header through fetch(), a Proxy-Authorization header (no proxy) through fetch(), and a
// Proxy-Authorization header through request() following redirects itself.
import { redirectServer, serveFixtures } from '../../harness/fixture-kit.ts';
import { defineScenario } from '../../harness/scenario-kit.ts';
import type { CaseFixture } from '../../harness/types.ts';
import { judgeHeaderLeak } from './judge.ts';

/** What the client sends to A; distinctive, so the judge finds it in what B recorded and nowhere by chance. */
export const SECRETS = {
  cookie: 'regress_sid=cookie-secret-45143',
  proxyAuthorization: 'Basic cmVncmVzczpwcm94eS1zZWNyZXQtMjQ3NTg=', // regress:proxy-secret-24758
} as const;

const COOKIE = 'https://github.com/nodejs/undici/security/advisories/GHSA-wqq4-5wpv-mx2g';
const FETCH_PROXY_AUTH = 'https://github.com/nodejs/undici/security/advisories/GHSA-3787-6prv-h9w3';
const REQUEST_PROXY_AUTH = 'https://github.com/nodejs/undici/security/advisories/GHSA-m4v8-wqvr-p9f7';

// B first, so A's partner is running when A starts; A is where every request of the client begins.
const pair = (): Promise<CaseFixture> =>
  serveFixtures({ b: redirectServer({ partner: 'a' }), a: redirectServer({ partner: 'b' }) }, (s) => ({
    a: s.a.url,
    b: s.b.url,
    ...SECRETS,
  }));

export default defineScenario({
  meta: {
    id: 'undici-redirect-leaks',
    status: 'historic',
    title: 'undici cross-origin redirects: Cookie and Proxy-Authorization stay behind, in fetch() and in request() following redirects',
    upstream: {
      issue: COOKIE,
      fix: [
        `cookie: ${COOKIE}, https://github.com/nodejs/undici/commit/e041de359221ebeae04c469e8aff4145764e6d76 (5.26.2; there is no 5.26.1 on npm)`,
        `proxy-authorization: ${FETCH_PROXY_AUTH} (5.28.3, 6.6.1)`,
        `request-proxy-authorization: ${REQUEST_PROXY_AUTH} (5.28.4, 6.11.1)`,
      ],
    },
    seedClaim: {
      firstFixed: 'cookie 5.26.2; proxy-authorization 5.28.3 / 6.6.1; request-proxy-authorization 5.28.4 / 6.11.1',
      source: `${COOKIE} (CVE-2023-45143), ${FETCH_PROXY_AUTH} (CVE-2024-24758), ${REQUEST_PROXY_AUTH} (CVE-2024-30260)`,
    },
    measured: {
      lastBroken: 'cookie 5.26.0; proxy-authorization 5.28.2 / 6.6.0; request-proxy-authorization 5.28.3 / 6.11.0',
      firstFixed: 'cookie 5.26.2; proxy-authorization 5.28.3 / 6.6.1; request-proxy-authorization 5.28.4 / 6.11.1',
      note:
        "GHSA-m4v8-wqvr-p9f7 lists 'affected < 5.28.3; > 6.0.0 < 6.11.0', but 5.28.3 and 6.11.0 leak (measured) and its own patched versions are >= 5.28.4 and >= 6.11.1. " +
        'undici 7 removed request()\'s maxRedirections: the case runs through interceptors.redirect there (fixed on every 7.x and 8.x release measured)',
    },
    failureSignature: 'B records the Cookie / Proxy-Authorization the client sent only to A',
  },
  cases: [
    {
      name: 'cookie',
      summary: 'fetch() to A with a Cookie header; A answers 302 to B (another origin): B must not get the Cookie',
      timeLimitMs: 30_000,
      unavoidableWaitMs: 0,
      setup: pair,
      judge: judgeHeaderLeak({ header: 'Cookie', field: 'cookie', secret: SECRETS.cookie }),
    },
    {
      name: 'proxy-authorization',
      summary: 'fetch() to A with a Proxy-Authorization header and no proxy; A answers 302 to B: B must not get the header',
      timeLimitMs: 30_000,
      unavoidableWaitMs: 0,
      setup: pair,
      judge: judgeHeaderLeak({ header: 'Proxy-Authorization', field: 'proxyAuthorization', secret: SECRETS.proxyAuthorization }),
    },
    {
      name: 'request-proxy-authorization',
      summary:
        'request() to A following one redirect (maxRedirections: 1, or interceptors.redirect from undici 7) with a Proxy-Authorization header; A answers 302 to B: B must not get the header',
      timeLimitMs: 30_000,
      unavoidableWaitMs: 0,
      setup: pair,
      judge: judgeHeaderLeak({ header: 'Proxy-Authorization', field: 'proxyAuthorization', secret: SECRETS.proxyAuthorization }),
    },
  ],
});
