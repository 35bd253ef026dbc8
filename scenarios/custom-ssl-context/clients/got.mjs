// httpx #926's contract, for got. got's way to trust a private CA is https.certificateAuthority (it becomes
// the request's `ca`, which replaces Node's bundled roots: the request trusts the run's CA alone), and it
// must be used as given: the CA-signed server accepted, bad certificates refused, the protocol floor kept.
// mTLS adds https.certificate / https.key; legacy-server checks got's default (Node's bundled roots) and the CA
// option; minimum-tls13 sets https.minVersion: 'TLSv1.3'. Every request uses a fresh https.Agent (no TLS
// session or connection carries over between steps) and is tried once (retry 0: a retry would add handshakes
// the server then reports).
//
// got's `https` options arrived in 11.2.0 (https://github.com/sindresorhus/got/pull/1255); got 11.0 and 11.1
// pass Node's own TLS options (ca, cert, key, minVersion) through to https.request instead, and ignore an
// `https` key: there the program gives Node's options (fact tls_options says which form ran).
import { readFileSync } from 'node:fs';
import https from 'node:https';
import got from 'got';
import { NotApplicable, run } from '@regress/contract';

/** got >= 11.2 takes TLS settings as `https: { ... }`; before, Node's own option names at the top level. */
const HTTPS_OPTIONS = 'https' in got.defaults.options;

/** got's options for the TLS settings given in got's `https` names, in the form this release takes. */
function tlsOptions(https_) {
  if (!https_) return {};
  if (HTTPS_OPTIONS) return { https: https_ };
  const { certificateAuthority: ca, certificate: cert, ...rest } = https_;
  return Object.fromEntries(Object.entries({ ca, cert, ...rest }).filter(([, v]) => v !== undefined));
}

await run(async (ctx) => {
  const data = ctx.input;
  const ca = ctx.ca();
  ctx.fact('openssl', process.versions.openssl);
  ctx.fact('tls_options', HTTPS_OPTIONS ? 'got https: { certificateAuthority, certificate, key, minVersion }' : "Node's own (got < 11.2): ca, cert, key, minVersion");

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
          ...tlsOptions(httpsOptions),
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
      // got 12 and later list every https option in their defaults; got 11.2 - 11.8 have no minVersion and
      // drop an https key they do not know without a word (measured: the request then agrees on TLS 1.2).
      if (HTTPS_OPTIONS && !('minVersion' in (got.defaults.options.https ?? {}))) {
        const reason = "this got's https options have no minVersion (got 11.2 - 11.8 ignore an unknown https key)";
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
