// psf/requests #6730: with verify=True, requests 2.32.3 and 2.32.4 stopped loading their default CA bundle into
// the ssl_context an HTTPAdapter subclass hands urllib3 through init_poolmanager, so a server the default
// bundle trusts was refused ("unable to get local issuer certificate"). 2.32.0 - 2.32.2 had replaced such a
// context with their own preloaded one for verify=True (#6715 / #6717; PR #6716 in 2.32.3 stopped that, and
// so brought #6730); 2.32.5 reverted the preloaded context altogether (PR #6767). One case per failure.
import type { CertificateSet } from '../../certs/certificate-set.ts';
import { defineScenario, serveHttp } from '../../harness/scenario-kit.ts';
import type { HttpFixtureOptions } from '../../harness/kit.ts';
import { judgeContextUsed, judgeDefaultCa } from './judge.ts';

function trustedServer(set: CertificateSet): HttpFixtureOptions {
  return { keepAliveTimeoutMs: 5_000, tls: { cert: set.trusted.cert, key: set.trusted.key } };
}

export default defineScenario({
  meta: {
    id: 'requests-adapter-ssl-context',
    title: "an HTTPAdapter's own ssl_context keeps requests' default CA bundle (#6730) and is the context used (#6715)",
    status: { requests: 'historic' },
    upstream: {
      issue: 'https://github.com/psf/requests/issues/6730',
      fix: [
        'https://github.com/psf/requests/pull/6767 (2.32.5: the cached default SSLContext reverted)',
        'https://github.com/psf/requests/pull/6716 (2.32.3: an HTTPAdapter subclass\'s own context used again, issues #6715 and #6717)',
      ],
    },
    seedClaim: {
      firstFixed: '2.32.5',
      source:
        'https://github.com/psf/requests/issues/6730 (2.32.2 works, 2.32.3 fails; duplicate https://github.com/psf/requests/issues/6736); the revert in 2.32.5, https://github.com/psf/requests/pull/6767',
    },
    measured: {
      lastBroken: '2.32.4',
      firstFixed: '2.32.5',
      note:
        '#6730 (adapter-context-default-ca) reproduces on 2.32.3 and 2.32.4 only. "2.32.2 fixed" holds for #6730 alone: 2.32.0 - 2.32.2 ignore the adapter\'s context for verify=True (#6715 / #6717, fixed by PR #6716 in 2.32.3: adapter-context-used reproduced), which is why the default bundle still worked there',
    },
    failureSignature:
      "the adapter's context holds no CA after the request and the server the default bundle trusts is refused: SSLError CERTIFICATE_VERIFY_FAILED unable to get local issuer certificate; the server sees the client's unknown-ca alert and no request",
  },
  cases: [
    {
      name: 'adapter-context-default-ca',
      summary: "HTTPAdapter subclass passing create_urllib3_context() as ssl_context, verify=True, requests' default bundle trusting the server",
      timeLimitMs: 20_000,
      unavoidableWaitMs: 0,
      setup: async ({ certs }) => {
        const set = await certs();
        return serveHttp({ control: trustedServer(set), adapter: trustedServer(set) }, ({ control, adapter }) => ({
          controlUrl: control!.url,
          adapterUrl: adapter!.url,
          caFile: set.ca.certPath,
        }));
      },
      judge: judgeDefaultCa,
    },
    {
      name: 'adapter-context-used',
      summary: "HTTPAdapter subclass passing a context that trusts the run CA and caps TLS at 1.2, verify=True: that context makes the handshake",
      timeLimitMs: 20_000,
      unavoidableWaitMs: 0,
      setup: async ({ certs }) => {
        const set = await certs();
        return serveHttp({ adapter: trustedServer(set) }, ({ adapter }) => ({ adapterUrl: adapter!.url, caFile: set.ca.certPath }));
      },
      judge: judgeContextUsed,
    },
  ],
});
