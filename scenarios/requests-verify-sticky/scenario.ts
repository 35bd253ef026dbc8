// CVE-2024-35195 (GHSA-9wx4-h78v-vm56): requests keyed its connection pools by host alone, so once a Session
// had talked to a host with verify=False, later requests to that host with verification on were sent on the
// pooled, unverified connection. requests 2.32.0 (PR #6655) keys pools by the TLS settings too. The server
// (a self-signed leaf, trusted by nothing the client holds) says which request rode which connection and
// how many handshakes there were; the client says what the verified request returned.
import { defineScenario, serveHttp } from '../../harness/scenario-kit.ts';
import { judgeVerifySticky } from './judge.ts';

export default defineScenario({
  meta: {
    id: 'requests-verify-sticky',
    title: 'verify=True after verify=False to the same host in a Session gets a verified connection of its own',
    status: { requests: 'historic' },
    upstream: {
      issue: 'https://github.com/psf/requests/security/advisories/GHSA-9wx4-h78v-vm56',
      fix: ['https://github.com/psf/requests/pull/6655 (2.32.0)'],
    },
    seedClaim: {
      firstFixed: '2.32.0',
      source: 'https://github.com/psf/requests/pull/6655 (the fix, 2.32.0) of CVE-2024-35195, https://github.com/psf/requests/security/advisories/GHSA-9wx4-h78v-vm56 (affected < 2.32.0)',
    },
    measured: {
      lastBroken: '2.31.0',
      firstFixed: '2.32.0',
      note: 'every release from 2.20.0 to 2.31.0 reproduces; 2.32.0 and 2.32.1 are yanked on PyPI (an exact pin still installs them)',
    },
    failureSignature:
      'one TLS handshake for both requests: the verify=True request is served (200) on the connection the verify=False request opened, instead of a new handshake refusing the self-signed leaf (CERTIFICATE_VERIFY_FAILED)',
  },
  cases: [
    {
      name: 'verify-after-unverified',
      summary: 'one Session: GET with verify=False, then GET with the default verify=True, same host, self-signed leaf',
      timeLimitMs: 20_000,
      unavoidableWaitMs: 0,
      setup: async ({ certs }) => {
        const set = await certs();
        // Keep-alive far above the gap between the two requests: only the client's pool decides reuse.
        return serveHttp({ tls: { keepAliveTimeoutMs: 15_000, tls: { cert: set.untrusted.cert, key: set.untrusted.key } } }, ({ tls }) => ({
          url: tls!.url,
        }));
      },
      judge: judgeVerifySticky,
    },
  ],
});
