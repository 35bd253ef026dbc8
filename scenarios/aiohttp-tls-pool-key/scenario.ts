// aio-libs/aiohttp#12835: the TLS connection pool's key (ConnectionKey) left out the per-request
// server_hostname, so a request naming another server name was handed a pooled connection whose handshake
// verified the first name: the second name is never checked. #12835 (3.14.1) adds server_hostname to the key.
// One TLS server on 127.0.0.1 with the per-run leaf for localhost / 127.0.0.1; the client asks for
// server_hostname='localhost' (valid), then for a name the leaf does not cover on the same host:port.
import { defineScenario, serveHttp } from '../../harness/scenario-kit.ts';
import { judgeTlsPoolKey } from './judge.ts';

const PR = 'https://github.com/aio-libs/aiohttp/pull/12835';

export default defineScenario({
  meta: {
    id: 'aiohttp-tls-pool-key',
    status: 'historic',
    title: "aiohttp does not serve a request for one TLS server name on a pooled connection verified for another",
    upstream: { issue: PR, fix: [`${PR}: server_hostname in ConnectionKey (3.14.1)`] },
    seedClaim: { firstFixed: '3.14.1', source: `${PR} (claim: 3.13.5 and 3.14.0 reproduced, 3.14.1 fixed)` },
    measured: { lastBroken: '3.14.0', firstFixed: '3.14.1', note: 'see the README for the releases measured' },
    failureSignature: "the request with server_hostname=<a name the certificate does not cover> answers 200 on the connection whose handshake verified 'localhost'; the server sees one handshake carrying both requests",
  },
  cases: [
    {
      name: 'second-server-hostname',
      summary: "GET /valid-name with server_hostname='localhost', then GET /other-name with server_hostname='other.regress.invalid' to the same https://127.0.0.1:port on one session",
      timeLimitMs: 30_000,
      unavoidableWaitMs: 0,
      setup: async ({ certs }) => {
        const set = await certs();
        return serveHttp(
          // Keep-alive far longer than the case: the first connection is still open for the second request.
          { tls: { keepAliveTimeoutMs: 20_000, tls: { cert: set.trusted.cert, key: set.trusted.key } } },
          ({ tls }) => ({
            url: tls!.url,
            caFile: set.ca.certPath,
            validName: 'localhost',
            // .invalid (RFC 2606) never resolves and is not in the leaf: only the handshake could accept it.
            otherName: 'other.regress.invalid',
          }),
        );
      },
      judge: judgeTlsPoolKey,
    },
  ],
});
