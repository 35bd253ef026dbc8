// httpx #3441's contract, for axios: verification off together with a client certificate, against a server
// that requires one. The certificate must still be presented. axios takes both through its httpsAgent; two
// forms, each against its own server:
//   cert-argument: httpsAgent: new https.Agent({ rejectUnauthorized: false, cert, key });
//   context-form:  httpsAgent: new https.Agent({ rejectUnauthorized: false, secureContext: tls.createSecureContext({ cert, key }) }).
import { readFileSync } from 'node:fs';
import https from 'node:https';
import tls from 'node:tls';
import axios from 'axios';
import { run } from '@regress/contract';

await run(async (ctx) => {
  const data = ctx.input;
  const cert = readFileSync(data.clientCert);
  const key = readFileSync(data.clientKey);
  ctx.fact('openssl', process.versions.openssl);
  ctx.fact('cert-argument_form', 'axios({ httpsAgent: new https.Agent({ rejectUnauthorized: false, cert, key }) })');
  ctx.fact('context-form_form', 'axios({ httpsAgent: new https.Agent({ rejectUnauthorized: false, secureContext: tls.createSecureContext({ cert, key }) }) })');

  async function get(name, url, agentOptions) {
    const httpsAgent = new https.Agent({ keepAlive: false, ...agentOptions });
    try {
      // A handshake on loopback takes milliseconds: 5 s only bounds a hang. No proxy from the environment.
      await ctx.attempt(name, () => axios.get(`${url}/mtls/${name}`, { httpsAgent, headers: ctx.withToken({}), timeout: 5_000, proxy: false }));
    } finally {
      httpsAgent.destroy();
    }
  }

  await get('cert-argument', data.argumentUrl, { rejectUnauthorized: false, cert, key });
  await get('context-form', data.contextUrl, { rejectUnauthorized: false, secureContext: tls.createSecureContext({ cert, key }) });
});
