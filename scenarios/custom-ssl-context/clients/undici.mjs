// httpx #926's contract, for undici. undici's way to trust a private CA is a dispatcher whose connector has it:
// new Agent({ connect: { ca } }) (`ca` replaces Node's bundled roots: the agent trusts the run's CA alone), and
// it must be used as given: the CA-signed server accepted, bad certificates refused, the protocol floor kept.
// mTLS adds cert/key to connect; legacy-server checks a default Agent() (Node's bundled roots) and the CA agent;
// minimum-tls13 sets connect.minVersion: 'TLSv1.3'. Every request uses a fresh Agent (no TLS session or
// connection carries over between steps).
//
// Closing an Agent whose connection failed the host name check never settles before undici 6.21.2 (the Pool
// kept the failed client; https://github.com/nodejs/undici/issues/3895, measured 5.26.0 - 6.21.1): the close
// is bounded, and one that does not settle is recorded as a `close` step (no judge reads it as a request).
const CLOSE_BOUND_MS = 3_000;

async function closeBounded(ctx, dispatcher, name) {
  const started = ctx.clock();
  const settled = await Promise.race([dispatcher.close().then(() => true), sleep(CLOSE_BOUND_MS).then(() => false)]);
  if (!settled) {
    ctx.record('close', started, { ok: false, after: name, hung: `Agent.close() did not settle within ${CLOSE_BOUND_MS / 1000} s` });
    dispatcher.destroy().catch(() => undefined);
  }
}
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import { run } from '@regress/contract';

await run(async (ctx) => {
  const data = ctx.input;
  const ca = readFileSync(data.caFile);
  ctx.fact('openssl', process.versions.openssl);

  async function get(name, connect, base = data.url) {
    // A handshake on loopback takes milliseconds: 5 s only bounds a hang.
    const dispatcher = new Agent({ ...(connect ? { connect: { ...connect, timeout: 5_000 } } : {}), headersTimeout: 5_000, bodyTimeout: 5_000 });
    try {
      await ctx.attempt(name, async () => {
        const response = await request(`${base}/tls/${name}`, { dispatcher, headers: ctx.withToken({}) });
        await response.body.text();
        return response;
      });
    } finally {
      await closeBounded(ctx, dispatcher, name);
    }
  }

  switch (data.case) {
    case 'legacy-server':
      // The server offers only TLS 1.0/1.1: a default Agent and the CA agent must both refuse it in the handshake.
      ctx.fact('ca_context', "new Agent({ connect: { ca: <the run's CA file> } })");
      await get('default-context', undefined);
      await get('ca-context', { ca });
      break;
    case 'minimum-tls13':
      ctx.fact('minimum_version', 'TLSv1.3');
      await get('request', { ca, minVersion: 'TLSv1.3' });
      break;
    case 'mtls':
      ctx.fact('client_certificate', 'new Agent({ connect: { ca, cert, key } })');
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
