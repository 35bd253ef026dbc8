// axios's Node adapter follows redirects through follow-redirects: what the request carried to server A and
// what follow-redirects carries on to server B, another origin. Two advisories of follow-redirects, one case
// each: a Cookie header kept across hosts (CVE-2022-0155, fixed in 1.14.7) and a Proxy-Authorization header
// kept across hosts (CVE-2024-28849, fixed in 1.15.6). The release under test is follow-redirects, pinned as
// axios's companion (`"axios@1.6.0 follow-redirects@1.15.5"`); A and B are two ports of 127.0.0.1, so two
// hosts to follow-redirects (it compares host and port).
import { redirectServer, serveFixtures } from '../../harness/fixture-kit.ts';
import { defineScenario } from '../../harness/scenario-kit.ts';
import type { CaseFixture } from '../../harness/types.ts';
import { judgeHeaderLeak, SECRETS } from './judge.ts';

// B first, so A's partner is running when A starts; A is where the client's request begins.
const pair = (): Promise<CaseFixture> =>
  serveFixtures({ b: redirectServer({ partner: 'a' }), a: redirectServer({ partner: 'b' }) }, (s) => ({
    a: s.a.url,
    b: s.b.url,
    ...SECRETS,
  }));

export default defineScenario({
  meta: {
    id: 'axios-redirect-leaks',
    status: 'historic',
    title: 'axios (follow-redirects) cross-host redirects: Cookie and Proxy-Authorization stay behind',
    upstream: {
      issue: 'https://github.com/follow-redirects/follow-redirects/security/advisories/GHSA-cxjh-pqwp-8mfp',
      fix: [
        'cookie: https://github.com/advisories/GHSA-74fj-2j2h-c42q, https://github.com/follow-redirects/follow-redirects/commit/8b347cbcef7c7b72a6e9be20f5710c17d6163c22 (1.14.7)',
        'proxy-authorization: https://github.com/follow-redirects/follow-redirects/security/advisories/GHSA-cxjh-pqwp-8mfp, https://github.com/follow-redirects/follow-redirects/commit/c4f847f85176991f95ab9c88af63b1294de8649b (1.15.6)',
      ],
    },
    seedClaim: {
      firstFixed: 'cookie follow-redirects 1.14.7; proxy-authorization follow-redirects 1.15.6',
      source:
        'https://github.com/follow-redirects/follow-redirects/security/advisories/GHSA-cxjh-pqwp-8mfp (CVE-2024-28849, 1.15.6), https://github.com/advisories/GHSA-74fj-2j2h-c42q (CVE-2022-0155, 1.14.7)',
    },
    measured: {
      lastBroken: 'cookie follow-redirects 1.14.6; proxy-authorization follow-redirects 1.15.5 (both under axios 1.6.0)',
      firstFixed: 'cookie follow-redirects 1.14.7; proxy-authorization follow-redirects 1.15.6',
      note: 'every axios >= 1.0.0 asks for follow-redirects ^1.15.0, so a 1.14.x pin is an npm override outside axios\'s range (it installs and runs; axios 0.24.0 allows it within its ^1.14.4). axios itself adds nothing: the leak is follow-redirects\' alone',
    },
    failureSignature: 'B, another host, receives the Cookie / Proxy-Authorization the client sent only to A',
  },
  cases: [
    {
      name: 'cookie',
      summary: 'GET to A with a Cookie header; A answers 302 to B (another host): B must not get the Cookie',
      timeLimitMs: 30_000,
      unavoidableWaitMs: 0,
      setup: pair,
      judge: judgeHeaderLeak({ header: 'Cookie', field: 'cookie', secret: SECRETS.cookie }),
    },
    {
      name: 'proxy-authorization',
      summary: 'GET to A with a Proxy-Authorization header and no proxy; A answers 302 to B: B must not get the header',
      timeLimitMs: 30_000,
      unavoidableWaitMs: 0,
      setup: pair,
      judge: judgeHeaderLeak({ header: 'Proxy-Authorization', field: 'proxyAuthorization', secret: SECRETS.proxyAuthorization }),
    },
  ],
});
