// httpx #926 (documented by PR #942): verify=ssl.SSLContext. A context trusting the run's CA must be used
// as given: the CA-signed server is accepted, the untrusted, wrong-host and expired servers are refused
// with a certificate error, and a client certificate loaded with load_cert_chain passes mTLS.
import type { CertificateSet, PemPair } from '../../certs/certificate-set.ts';
import type { TlsServerOptions } from '../../fixtures/http-server.ts';
import { defineScenario, serveHttp } from '../../harness/scenario-kit.ts';
import type { CaseDefinition } from '../../harness/types.ts';
import { judgeAccepted, judgeMutualTls, judgeRefused } from './judge.ts';
import { judgeProtocolRefused } from './protocol-judge.ts';

/** What the server offers: only protocols the client must refuse, so the handshake itself is the test. */
type Protocols = Pick<TlsServerOptions, 'minVersion' | 'maxVersion' | 'ciphers'>;

/** A server from before TLS 1.2: OpenSSL 3 signs TLS 1.0/1.1 handshakes with SHA-1, allowed only at level 0. */
const LEGACY_ONLY: Protocols = { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' };
const TLS12_ONLY: Protocols = { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' };

function tlsCase(
  name: string,
  summary: string,
  leaf: (certs: CertificateSet) => PemPair,
  judge: CaseDefinition['judge'],
  mutual = false,
  protocols: Protocols = {},
): CaseDefinition {
  return {
    name,
    summary,
    timeLimitMs: 20_000,
    unavoidableWaitMs: 0,
    setup: async ({ certs }) => {
      const set = await certs();
      const { cert, key } = leaf(set);
      return serveHttp(
        {
          tls: {
            keepAliveTimeoutMs: 5_000,
            tls: { cert, key, ...(mutual ? { ca: set.ca.cert, requestClientCertificate: true } : {}), ...protocols },
          },
        },
        ({ tls }) => ({
          url: tls!.url,
          caFile: set.ca.certPath,
          clientCert: set.client.certPath,
          clientKey: set.client.keyPath,
        }),
      );
    },
    judge,
  };
}

export default defineScenario({
  meta: {
    id: 'custom-ssl-context',
    title: 'verify=ssl.SSLContext is honoured: trusted, untrusted, wrong host, expired, mTLS, protocol floor',
    upstream: {
      issue: 'https://github.com/encode/httpx/issues/926',
      fix: ['https://github.com/encode/httpx/pull/942'],
    },
    seedClaim: { firstFixed: '0.13.0', source: 'https://github.com/encode/httpx/issues/926, fixed by https://github.com/encode/httpx/pull/942' },
    measured: {
      lastBroken: 'none found (documentation issue; SSLContext accepted since 0.7.0)',
      firstFixed: '0.13.0 (docs)',
      note: 'the refusal exception type differs by release: ConnectError, or a raw ssl.SSLCertVerificationError on AsyncClient with httpcore 0.14 - 1.0.5',
    },
    failureSignature: 'a custom SSLContext ignored: the CA-signed server refused, or a bad certificate accepted',
  },
  cases: [
    tlsCase('trusted-ca', 'a leaf signed by the run CA (SAN localhost, 127.0.0.1) is accepted', (c) => c.trusted, judgeAccepted),
    tlsCase('untrusted', 'a self-signed leaf outside the context is refused', (c) => c.untrusted, judgeRefused),
    tlsCase('wrong-host', 'a CA-signed leaf for another host name is refused', (c) => c.wrongHost, judgeRefused),
    tlsCase('expired', 'a CA-signed leaf that expired yesterday is refused', (c) => c.expired, judgeRefused),
    tlsCase('mtls', 'a client certificate from load_cert_chain passes a server that requires one', (c) => c.trusted, judgeMutualTls, true),
    tlsCase(
      'legacy-server',
      "the client's default context, and the one it builds for the run CA, refuse a server that offers only TLS 1.0/1.1",
      (c) => c.trusted,
      judgeProtocolRefused,
      false,
      LEGACY_ONLY,
    ),
    tlsCase(
      'minimum-tls13',
      'a context with minimum_version = TLSv1_3 refuses a server that offers only TLS 1.2',
      (c) => c.trusted,
      judgeProtocolRefused,
      false,
      TLS12_ONLY,
    ),
  ],
});
