// axios and an HTTP proxy in front of an HTTPS origin. Before 1.16.1 axios sent the HTTPS request to the
// proxy in absolute form (`POST https://origin/... HTTP/1.1`), in cleartext: the proxy read the URL, the
// Authorization header and the body (axios#6320, fixed by #10858 in 1.16.1 with a CONNECT tunnel through
// https-proxy-agent). 1.16.1's tunnel then made the origin's TLS connection without the TLS options of the
// user's `httpsAgent` (ca, rejectUnauthorized): a private CA stopped working through a proxy (axios#10953,
// fixed by #10957 in 1.17.0). A CA set on `https.globalAgent` stayed ignored through the tunnel until 1.21.0
// (axios#11176, #11178). The origin is an HTTPS server whose certificate only the run's CA signs.
import { forwardProxy, redirectServer, serveFixtures } from '../../harness/fixture-kit.ts';
import { defineScenario } from '../../harness/scenario-kit.ts';
import type { CaseDefinition, CaseFixture, SetupContext } from '../../harness/types.ts';
import { judgeOriginTls, judgeTunnel, PROXY_AUTH, SECRETS } from './judge.ts';

/** The origin (HTTPS, the run's CA) behind the logging proxy (Basic auth required, CONNECT or absolute form). */
async function originBehindProxy({ certs }: SetupContext): Promise<CaseFixture> {
  const set = await certs();
  return serveFixtures(
    {
      origin: redirectServer({ tls: { key: set.trusted.key, cert: set.trusted.cert } }),
      proxy: forwardProxy({ auth: PROXY_AUTH }),
    },
    (s) => ({
      origin: s.origin.url,
      // axios's own proxy form (not a URL), as the issues write it. axios 1.0.0 - 1.1.2 cannot use it at all
      // (`http` is copied without its colon and follow-redirects asserts a protocol mismatch): an error there.
      proxy: { protocol: 'http', host: '127.0.0.1', port: s.proxy.port, auth: { username: PROXY_AUTH.username, password: PROXY_AUTH.password } },
      caFile: set.ca.certPath,
      ...SECRETS,
    }),
  );
}

function proxyCase(name: string, summary: string, judge: CaseDefinition['judge']): CaseDefinition {
  return { name, summary, timeLimitMs: 30_000, unavoidableWaitMs: 0, setup: originBehindProxy, judge };
}

export default defineScenario({
  meta: {
    id: 'axios-proxy-tls',
    status: 'historic',
    title: 'axios HTTPS through an HTTP proxy: a CONNECT tunnel (not cleartext absolute form), with the httpsAgent\'s TLS options applied to the origin',
    upstream: {
      issue: 'https://github.com/axios/axios/issues/6320',
      fix: [
        'tunnel: https://github.com/axios/axios/pull/10858 (1.16.1)',
        'agent-ca, reject-unauthorized-false: https://github.com/axios/axios/issues/10953 → https://github.com/axios/axios/pull/10957 (1.17.0)',
        'global-agent-ca: https://github.com/axios/axios/issues/11176 → https://github.com/axios/axios/pull/11178 (1.21.0)',
      ],
    },
    seedClaim: {
      firstFixed: 'tunnel 1.16.1; agent-ca 1.17.0',
      source: 'https://github.com/axios/axios/pull/10858 (1.16.1), https://github.com/axios/axios/pull/10957 (1.17.0, closes https://github.com/axios/axios/issues/10953)',
    },
    measured: {
      lastBroken: 'tunnel 1.16.0; agent-ca and reject-unauthorized-false 1.16.1; global-agent-ca 1.20.0',
      firstFixed: 'tunnel 1.16.1; agent-ca and reject-unauthorized-false 1.17.0; global-agent-ca 1.21.0',
      note: 'up to 1.16.0 the proxy reads the whole request (every TLS case is reproduced: nothing reaches the origin over TLS); 1.16.1 tunnels but verifies the origin with Node\'s default CAs only (UNABLE_TO_VERIFY_LEAF_SIGNATURE). axios#11168 (a per-request httpsAgent CA still dropped on 1.17.0 - 1.19.0) does not reproduce: those releases apply it',
    },
    failureSignature: 'the proxy logs an absolute-form https:// request with the Authorization header, or the tunnelled TLS handshake fails on the CA the httpsAgent was given',
  },
  cases: [
    proxyCase(
      'tunnel',
      'POST with Authorization and a body to the HTTPS origin through the proxy: the proxy must see a CONNECT only, never the request itself',
      judgeTunnel,
    ),
    proxyCase(
      'agent-ca',
      'the same POST with httpsAgent: new https.Agent({ca}): the tunnelled TLS connection must trust that CA and the origin must get the request',
      judgeOriginTls('an httpsAgent whose ca is the run\'s CA'),
    ),
    proxyCase(
      'reject-unauthorized-false',
      'the same POST with httpsAgent: new https.Agent({rejectUnauthorized: false}) and no CA: the tunnelled TLS connection must not verify',
      judgeOriginTls('an httpsAgent with rejectUnauthorized: false'),
    ),
    proxyCase(
      'global-agent-ca',
      'the same POST with no httpsAgent and the CA on https.globalAgent.options.ca: the tunnelled TLS connection must trust it',
      judgeOriginTls('no httpsAgent, the run\'s CA on https.globalAgent.options.ca'),
    ),
  ],
});
