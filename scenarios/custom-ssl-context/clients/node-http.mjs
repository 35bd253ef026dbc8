// httpx #926's contract, for node:https. Node's way to trust a private CA is an https.Agent({ ca }) (`ca`
// replaces Node's bundled roots: the agent trusts the run's CA alone), and it must be used as given: the
// CA-signed server accepted, bad certificates refused, the protocol floor kept. mTLS adds cert/key to that
// agent; legacy-server checks Node's default (https.globalAgent's options: the bundled roots) and an agent made
// for the run's CA; minimum-tls13 sets minVersion: 'TLSv1.3' on it. Every request uses a fresh agent (a fresh
// pool, so no TLS session or connection carries over between steps).
//
// Node's tls checks the server's chain and host name once the handshake is done, before the request is
// written (the socket is destroyed in its secureConnect handling): the server may see a finished handshake,
// never a request.
import { readFileSync } from 'node:fs';
import https from 'node:https';
import tls from 'node:tls';
import { run, send } from '@regress/contract';

/** One GET through `agent` (https.globalAgent when undefined); a handshake on loopback takes milliseconds: 5 s only bounds a hang. */
const get = (url, headers, agent) => send(https, url, { headers, ...(agent ? { agent } : {}), timeoutMs: 5_000 });

await run(async (ctx) => {
  const data = ctx.input;
  const ca = ctx.ca();
  ctx.fact('openssl', process.versions.openssl);
  ctx.fact('tls_default_min_version', tls.DEFAULT_MIN_VERSION);

  async function request(name, agentOptions, base = data.url) {
    // keepAlive off: each step's connection ends with it.
    const agent = agentOptions ? new https.Agent({ keepAlive: false, ...agentOptions }) : undefined;
    try {
      await ctx.attempt(name, () => get(`${base}/tls/${name}`, ctx.withToken({}), agent));
    } finally {
      agent?.destroy();
    }
  }

  switch (data.case) {
    case 'legacy-server':
      // The server offers only TLS 1.0/1.1: Node's default and the CA agent must both refuse it in the handshake.
      ctx.fact('ca_context', "https.Agent({ ca: <the run's CA file> })");
      await request('default-context', undefined);
      await request('ca-context', { ca });
      break;
    case 'minimum-tls13':
      ctx.fact('minimum_version', 'TLSv1.3');
      await request('request', { ca, minVersion: 'TLSv1.3' });
      break;
    case 'mtls':
      ctx.fact('client_certificate', 'https.Agent({ ca, cert, key })');
      await request('with-client-cert', { ca, cert: readFileSync(data.clientCert), key: readFileSync(data.clientKey) });
      await request('without-client-cert', { ca });
      break;
    case 'wrong-host':
      // The certificate names another host: refused by IP address (127.0.0.1) and by DNS name (localhost).
      await request('request', { ca });
      await request('request-dns', { ca }, data.url.replace('127.0.0.1', 'localhost'));
      break;
    case 'trusted-ca':
    case 'untrusted':
    case 'expired':
      await request('request', { ca });
      break;
    default:
      throw new Error(`unknown case ${JSON.stringify(data.case)}`);
  }
});
