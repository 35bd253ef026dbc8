// httpx #3441's contract, for got: verification off together with a client certificate, against a server that
// requires one. The certificate must still be presented. Two forms, each against its own server:
//   cert-argument: got's own options, https: { rejectUnauthorized: false, certificate, key };
//   context-form:  got's https.rejectUnauthorized: false and an agent whose connections carry the certificate,
//                  agent: { https: new https.Agent({ secureContext: tls.createSecureContext({ cert, key }) }) }.
// Each request is tried once (retry 0: a retry would add handshakes the server then reports). got's `https`
// options arrived in 11.2.0 (https://github.com/sindresorhus/got/pull/1255); got 11.0 and 11.1 pass Node's own
// (rejectUnauthorized, cert, key) through to https.request and ignore an `https` key: there the program gives
// Node's names.
import { readFileSync } from 'node:fs';
import https from 'node:https';
import tls from 'node:tls';
import got from 'got';
import { run } from '@regress/contract';

/** got >= 11.2 takes TLS settings as `https: { ... }`; before, Node's own option names at the top level. */
const HTTPS_OPTIONS = 'https' in got.defaults.options;

function tlsOptions(https_) {
  if (HTTPS_OPTIONS) return { https: https_ };
  const { certificate: cert, ...rest } = https_;
  return Object.fromEntries(Object.entries({ cert, ...rest }).filter(([, v]) => v !== undefined));
}

await run(async (ctx) => {
  const data = ctx.input;
  const cert = readFileSync(data.clientCert);
  const key = readFileSync(data.clientKey);
  ctx.fact('openssl', process.versions.openssl);
  const form = HTTPS_OPTIONS ? (o) => `https: { ${o} }` : (o) => o.replace('certificate', 'cert');
  ctx.fact('cert-argument_form', `got({ ${form('rejectUnauthorized: false, certificate, key')} })`);
  ctx.fact('context-form_form', `got({ ${form('rejectUnauthorized: false')}, agent: { https: new https.Agent({ secureContext: tls.createSecureContext({ cert, key }) }) } })`);

  async function get(name, url, https_, agentOptions = {}) {
    const agent = new https.Agent({ keepAlive: false, ...agentOptions });
    try {
      // A handshake on loopback takes milliseconds: 5 s only bounds a hang.
      await ctx.attempt(name, () =>
        got(`${url}/mtls/${name}`, { ...tlsOptions(https_), agent: { https: agent }, headers: ctx.withToken({}), timeout: { request: 5_000 }, retry: { limit: 0 } }),
      );
    } finally {
      agent.destroy();
    }
  }

  await get('cert-argument', data.argumentUrl, { rejectUnauthorized: false, certificate: cert, key });
  await get('context-form', data.contextUrl, { rejectUnauthorized: false }, { secureContext: tls.createSecureContext({ cert, key }) });
});
