// encode/httpx #3441: httpx 0.28.0 built its SSL context for verify=False without loading cert=, so a
// server that requires a client certificate refused the handshake (TLSV13_ALERT_CERTIFICATE_REQUIRED).
// Fixed in 0.28.1 by PR #3445. The server's handshake record (client certificate presented or not) is the
// evidence; each form of the setting gets its own server.
import { defineScenario, serveHttp } from '../../harness/scenario-kit.ts';
import { judgeVerifyFalse } from './judge.ts';

export default defineScenario({
  meta: {
    id: 'mtls-verify-false',
    title: 'verify=False with a client certificate still presents the certificate (mTLS)',
    upstream: {
      issue: 'https://github.com/encode/httpx/issues/3441',
      fix: ['https://github.com/encode/httpx/pull/3445 (0.28.1)'],
    },
    seedClaim: { firstFixed: '0.28.1', source: 'https://github.com/encode/httpx/issues/3441, fixed by https://github.com/encode/httpx/pull/3445' },
    measured: {
      lastBroken: '0.28.0 (and 0.10.0 - 0.11.1)',
      firstFixed: '0.28.1 (and 0.12.0 for the first window)',
      note: 'two windows in the cert= form, 0.10.0 - 0.11.1 and 0.28.0 alone; the SSLContext form (verify=ctx with CERT_NONE + load_cert_chain) presents the certificate on every release measured',
    },
    failureSignature: 'handshake without a client certificate: the server refuses it, the client reads TLSV13_ALERT_CERTIFICATE_REQUIRED',
  },
  cases: [
    {
      name: 'verify-false',
      summary: 'verify=False with cert=(crt, key), and the SSLContext form, against a server requiring a client certificate',
      timeLimitMs: 20_000,
      unavoidableWaitMs: 0,
      setup: async ({ certs }) => {
        const set = await certs();
        const mtls = { keepAliveTimeoutMs: 5_000, tls: { ...set.trusted, ca: set.ca.cert, requestClientCertificate: true } };
        return serveHttp({ argument: mtls, context: mtls }, ({ argument, context }) => ({
          argumentUrl: argument!.url,
          contextUrl: context!.url,
          clientCert: set.client.certPath,
          clientKey: set.client.keyPath,
        }));
      },
      judge: judgeVerifyFalse,
    },
  ],
});
