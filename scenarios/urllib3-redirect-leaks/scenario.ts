// urllib3's own redirect handling across origins: what it carries from server A to server B (a Cookie
// header, a Proxy-Authorization header sent without a proxy, a POST body after a 303), and whether a
// PoolManager whose retries forbid redirects follows one anyway. Four advisories, one case each, on the
// cross-origin redirect pair (A and B on two ports of 127.0.0.1: two origins, so two hosts to urllib3).
import { redirectServer, serveFixtures } from '../../harness/fixture-kit.ts';
import { defineScenario } from '../../harness/scenario-kit.ts';
import type { CaseFixture } from '../../harness/types.ts';
import { judgeBodyAfter303, judgeHeaderLeak, judgeRetryRedirect0 } from './judge.ts';

/** What the client sends to A; distinctive, so a judge finds it in what B recorded and nowhere by chance. */
export const SECRETS = {
  cookie: 'regress_sid=cookie-secret-43804',
  proxyAuthorization: 'Basic cmVncmVzczpwcm94eS1zZWNyZXQtMzc4OTE=', // regress:proxy-secret-37891
  body: 'secret=body-secret-45803',
} as const;

// B first, so A's partner is running when A starts; A is where every request of the client begins.
const pair = (): Promise<CaseFixture> =>
  serveFixtures({ b: redirectServer({ partner: 'a' }), a: redirectServer({ partner: 'b' }) }, (s) => ({
    a: s.a.url,
    b: s.b.url,
    ...SECRETS,
  }));

export default defineScenario({
  meta: {
    id: 'urllib3-redirect-leaks',
    status: 'historic',
    title: 'urllib3 cross-origin redirects: Cookie, Proxy-Authorization and a 303\'s body stay behind; retries that forbid redirects forbid them',
    upstream: {
      issue: 'https://github.com/urllib3/urllib3/security/advisories/GHSA-v845-jxx5-vc9f',
      fix: [
        'cookie: https://github.com/urllib3/urllib3/commit/644124ecd0b6e417c527191f866daa05a5a2056d (2.0.6), https://github.com/urllib3/urllib3/commit/01220354d389cd05474713f8c982d05c9b17aafb (1.26.17)',
        'body-after-303: https://github.com/urllib3/urllib3/security/advisories/GHSA-g4mx-q9vg-27p4, https://github.com/urllib3/urllib3/commit/4e50fbc5db74e32cabd5ccc1ab81fc103adfe0b3 (2.0.7), https://github.com/urllib3/urllib3/commit/b594c5ceaca38e1ac215f916538fb128e3526a36 (1.26.18)',
        'proxy-authorization: https://github.com/urllib3/urllib3/security/advisories/GHSA-34jh-p97f-mpxf, https://github.com/urllib3/urllib3/commit/accff72ecc2f6cf5a76d9570198a93ac7c90270e (2.2.2), https://github.com/urllib3/urllib3/commit/40b6d1605814dd1db0a46e202d6e56f2e4c9a468 (1.26.19)',
        'retry-redirect-0: https://github.com/urllib3/urllib3/security/advisories/GHSA-pq67-6m6q-mj2v, https://github.com/urllib3/urllib3/commit/f05b1329126d5be6de501f9d1e3e36738bc08857 (2.5.0; no 1.26 release)',
      ],
    },
    seedClaim: {
      firstFixed: 'cookie 2.0.6 / 1.26.17; body-after-303 2.0.7 / 1.26.18; proxy-authorization 2.2.2 / 1.26.19; retry-redirect-0 2.5.0',
      source:
        'https://github.com/urllib3/urllib3/security/advisories/GHSA-v845-jxx5-vc9f, https://github.com/urllib3/urllib3/security/advisories/GHSA-g4mx-q9vg-27p4, https://github.com/urllib3/urllib3/security/advisories/GHSA-34jh-p97f-mpxf, https://github.com/urllib3/urllib3/security/advisories/GHSA-pq67-6m6q-mj2v',
    },
    measured: {
      lastBroken: 'cookie 2.0.5 / 1.26.16; body-after-303 2.0.6 / 1.26.17; proxy-authorization 2.2.1 / 1.26.18; retry-redirect-0 2.4.0 and every 1.26 release (1.26.20 included)',
      firstFixed: 'cookie 2.0.6 / 1.26.17; body-after-303 2.0.7 / 1.26.18; proxy-authorization 2.2.2 / 1.26.19; retry-redirect-0 2.5.0 (none on 1.26)',
      note: 'two lines: 1.26.x got the three header/body fixes as backports, never the retry-redirect-0 one. 2.5.0 overshot: PoolManager(retries=<int>) stopped following any redirect (urllib3#3649, fixed in 2.6.0 by #3655)',
    },
    failureSignature: 'B records the Cookie / Proxy-Authorization / body the client sent only to A, or any request at all when redirects were forbidden',
  },
  cases: [
    {
      name: 'cookie',
      summary: 'GET to A with a Cookie header; A answers 302 to B (another origin): B must not get the Cookie',
      timeLimitMs: 30_000,
      unavoidableWaitMs: 0,
      setup: pair,
      judge: judgeHeaderLeak({ header: 'Cookie', field: 'cookie', secret: SECRETS.cookie }),
    },
    {
      name: 'body-after-303',
      summary: 'POST with a form body to A; A answers 303 to B: the GET that follows must carry no body',
      timeLimitMs: 30_000,
      unavoidableWaitMs: 0,
      setup: pair,
      judge: judgeBodyAfter303(SECRETS.body),
    },
    {
      name: 'proxy-authorization',
      summary: 'GET to A with a Proxy-Authorization header and no proxy; A answers 302 to B: B must not get the header',
      timeLimitMs: 30_000,
      unavoidableWaitMs: 0,
      setup: pair,
      judge: judgeHeaderLeak({ header: 'Proxy-Authorization', field: 'proxyAuthorization', secret: SECRETS.proxyAuthorization }),
    },
    {
      name: 'retry-redirect-0',
      summary: 'PoolManager(retries=Retry(redirect=0)), retries=0 and retries=False each GET A, which answers 302 to B: B must get nothing',
      timeLimitMs: 30_000,
      unavoidableWaitMs: 0,
      setup: pair,
      judge: judgeRetryRedirect0,
    },
  ],
});
