// httpx #3441's contract, for undici: verification off together with a client certificate, against a server
// that requires one. The certificate must still be presented. Two forms, each against its own server:
//   cert-argument: new Agent({ connect: { rejectUnauthorized: false, cert, key } });
//   context-form:  new Agent({ connect: { rejectUnauthorized: false, secureContext: tls.createSecureContext({ cert, key }) } }).
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import { Agent, request } from 'undici';
import { run } from '@regress/contract';

await run(async (ctx) => {
  const data = ctx.input;
  const cert = readFileSync(data.clientCert);
  const key = readFileSync(data.clientKey);
  ctx.fact('openssl', process.versions.openssl);
  ctx.fact('cert-argument_form', 'new Agent({ connect: { rejectUnauthorized: false, cert, key } })');
  ctx.fact('context-form_form', 'new Agent({ connect: { rejectUnauthorized: false, secureContext: tls.createSecureContext({ cert, key }) } })');

  async function get(name, url, connect) {
    // A handshake on loopback takes milliseconds: 5 s only bounds a hang.
    const dispatcher = new Agent({ connect: { ...connect, timeout: 5_000 }, headersTimeout: 5_000, bodyTimeout: 5_000 });
    try {
      await ctx.attempt(name, async () => {
        const response = await request(`${url}/mtls/${name}`, { dispatcher, headers: ctx.withToken({}) });
        await response.body.text();
        return response;
      });
    } finally {
      await dispatcher.close();
    }
  }

  await get('cert-argument', data.argumentUrl, { rejectUnauthorized: false, cert, key });
  await get('context-form', data.contextUrl, { rejectUnauthorized: false, secureContext: tls.createSecureContext({ cert, key }) });
});
