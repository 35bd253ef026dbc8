// httpx #926's contract, for got. got's way to trust a private CA is https.certificateAuthority (it becomes
// the request's `ca`, which replaces Node's bundled roots: the request trusts the run's CA alone), and it
// must be used as given: the CA-signed server accepted, bad certificates refused, the protocol floor kept.
// mTLS adds https.certificate / https.key; legacy-server checks got's default (Node's bundled roots) and the CA
// option; minimum-tls13 sets https.minVersion: 'TLSv1.3' (got >= 12; got 11 has no such option). Every
// request uses a fresh https.Agent (no TLS session or connection carries over between steps) and is tried
// once (retry 0: a retry would add handshakes the server then reports).
import { readFileSync } from 'node:fs';
import https from 'node:https';
import got from 'got';
import { NotApplicable, run } from '@regress/contract';

await run(async (ctx) => {
  const data = ctx.input;
  const ca = readFileSync(data.caFile);
  ctx.fact('openssl', process.versions.openssl);

  async function get(name, httpsOptions, base = data.url) {
    const agent = new https.Agent({ keepAlive: false });
    try {
      // A handshake on loopback takes milliseconds: 5 s only bounds a hang.
      await ctx.attempt(name, () =>
        got(`${base}/tls/${name}`, {
          headers: ctx.withToken({}),
          agent: { https: agent },
          timeout: { request: 5_000 },
          retry: { limit: 0 },
          ...(httpsOptions ? { https: httpsOptions } : {}),
        }),
      );
    } finally {
      agent.destroy();
    }
  }

  switch (data.case) {
    case 'legacy-server':
      // The server offers only TLS 1.0/1.1: got's default and the CA option must both refuse it in the handshake.
      ctx.fact('ca_context', "got({ https: { certificateAuthority: <the run's CA file> } })");
      await get('default-context', undefined);
      await get('ca-context', { certificateAuthority: ca });
      break;
    case 'minimum-tls13': {
      ctx.fact('minimum_version', 'TLSv1.3');
      // got 12 and later list every https option in their defaults; got 11 has no minVersion and drops an
      // https key it does not know without a word (measured: the request then agrees on TLS 1.2).
      if (!('minVersion' in (got.defaults.options.https ?? {}))) {
        const reason = "this got's https options have no minVersion (got 11 ignores an unknown https key)";
        ctx.record('configure', ctx.clock(), { ok: false, unsupported: reason });
        throw new NotApplicable(`${reason}, so a TLS 1.3 floor cannot be expressed`);
      }
      await get('request', { certificateAuthority: ca, minVersion: 'TLSv1.3' });
      break;
    }
    case 'mtls':
      ctx.fact('client_certificate', 'got({ https: { certificateAuthority, certificate, key } })');
      await get('with-client-cert', { certificateAuthority: ca, certificate: readFileSync(data.clientCert), key: readFileSync(data.clientKey) });
      await get('without-client-cert', { certificateAuthority: ca });
      break;
    case 'wrong-host':
      // The certificate names another host: refused by IP address (127.0.0.1) and by DNS name (localhost).
      await get('request', { certificateAuthority: ca });
      await get('request-dns', { certificateAuthority: ca }, data.url.replace('127.0.0.1', 'localhost'));
      break;
    case 'trusted-ca':
    case 'untrusted':
    case 'expired':
      await get('request', { certificateAuthority: ca });
      break;
    default:
      throw new Error(`unknown case ${JSON.stringify(data.case)}`);
  }
});
