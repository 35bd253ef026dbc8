// httpx #3441's contract, for got: verification off together with a client certificate, against a server that
// requires one. The certificate must still be presented. Two forms, each against its own server:
//   cert-argument: got's own options, https: { rejectUnauthorized: false, certificate, key };
//   context-form:  got's https.rejectUnauthorized: false and an agent whose connections carry the certificate,
//                  agent: { https: new https.Agent({ secureContext: tls.createSecureContext({ cert, key }) }) }.
// Each request is tried once (retry 0: a retry would add handshakes the server then reports).
import { readFileSync } from 'node:fs';
import https from 'node:https';
import tls from 'node:tls';
import got from 'got';
import { run } from '@regress/contract';

await run(async (ctx) => {
  const data = ctx.input;
  const cert = readFileSync(data.clientCert);
  const key = readFileSync(data.clientKey);
  ctx.fact('openssl', process.versions.openssl);
  ctx.fact('cert-argument_form', 'got({ https: { rejectUnauthorized: false, certificate, key } })');
  ctx.fact('context-form_form', 'got({ https: { rejectUnauthorized: false }, agent: { https: new https.Agent({ secureContext: tls.createSecureContext({ cert, key }) }) } })');

  async function get(name, url, https_, agentOptions = {}) {
    const agent = new https.Agent({ keepAlive: false, ...agentOptions });
    try {
      // A handshake on loopback takes milliseconds: 5 s only bounds a hang.
      await ctx.attempt(name, () =>
        got(`${url}/mtls/${name}`, { https: https_, agent: { https: agent }, headers: ctx.withToken({}), timeout: { request: 5_000 }, retry: { limit: 0 } }),
      );
    } finally {
      agent.destroy();
    }
  }

  await get('cert-argument', data.argumentUrl, { rejectUnauthorized: false, certificate: cert, key });
  await get('context-form', data.contextUrl, { rejectUnauthorized: false }, { secureContext: tls.createSecureContext({ cert, key }) });
});
