// httpx #926's contract, for axios. axios's way to trust a private CA is the agent it is given:
// httpsAgent: new https.Agent({ ca }) (`ca` replaces Node's bundled roots: the agent trusts the run's CA alone),
// and it must be used as given: the CA-signed server accepted, bad certificates refused, the protocol floor
// kept. mTLS adds cert/key to that agent; legacy-server checks axios with no agent (https.globalAgent: Node's
// bundled roots) and the CA agent; minimum-tls13 sets minVersion: 'TLSv1.3' on it. Every request uses a fresh
// agent (no TLS session or connection carries over between steps).
import { readFileSync } from 'node:fs';
import https from 'node:https';
import axios from 'axios';
import { run } from '@regress/contract';

await run(async (ctx) => {
  const data = ctx.input;
  const ca = readFileSync(data.caFile);
  ctx.fact('openssl', process.versions.openssl);

  async function get(name, agentOptions, base = data.url) {
    const httpsAgent = agentOptions ? new https.Agent({ keepAlive: false, ...agentOptions }) : undefined;
    try {
      // A handshake on loopback takes milliseconds: 5 s only bounds a hang. No proxy from the environment.
      await ctx.attempt(name, () =>
        axios.get(`${base}/tls/${name}`, { headers: ctx.withToken({}), timeout: 5_000, proxy: false, ...(httpsAgent ? { httpsAgent } : {}) }),
      );
    } finally {
      httpsAgent?.destroy();
    }
  }

  switch (data.case) {
    case 'legacy-server':
      // The server offers only TLS 1.0/1.1: axios's default and the CA agent must both refuse it in the handshake.
      ctx.fact('ca_context', "axios({ httpsAgent: new https.Agent({ ca: <the run's CA file> }) })");
      await get('default-context', undefined);
      await get('ca-context', { ca });
      break;
    case 'minimum-tls13':
      ctx.fact('minimum_version', 'TLSv1.3');
      await get('request', { ca, minVersion: 'TLSv1.3' });
      break;
    case 'mtls':
      ctx.fact('client_certificate', 'axios({ httpsAgent: new https.Agent({ ca, cert, key }) })');
      await get('with-client-cert', { ca, cert: readFileSync(data.clientCert), key: readFileSync(data.clientKey) });
      await get('without-client-cert', { ca });
      break;
    case 'wrong-host':
      // The certificate names another host: refused by IP address (127.0.0.1) and by DNS name (localhost).
      await get('request', { ca });
      await get('request-dns', { ca }, data.url.replace('127.0.0.1', 'localhost'));
      break;
    case 'trusted-ca':
    case 'untrusted':
    case 'expired':
      await get('request', { ca });
      break;
    default:
      throw new Error(`unknown case ${JSON.stringify(data.case)}`);
  }
});
