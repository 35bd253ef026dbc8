// httpx #3441's contract, for node:https: verification off together with a client certificate, against a
// server that requires one. The certificate must still be presented. Two forms, each against its own server:
//   cert-argument: the request's own options, { rejectUnauthorized: false, cert, key };
//   context-form:  an https.Agent({ rejectUnauthorized: false, secureContext: tls.createSecureContext({ cert, key }) }),
//                  the closest Node has to httpx's verify=<SSLContext>.
import { readFileSync } from 'node:fs';
import https from 'node:https';
import tls from 'node:tls';
import { run, send } from '@regress/contract';

/** One GET; a handshake on loopback takes milliseconds: 5 s only bounds a hang. */
const get = (url, options) => send(https, url, { ...options, timeoutMs: 5_000 });

await run(async (ctx) => {
  const data = ctx.input;
  const cert = readFileSync(data.clientCert);
  const key = readFileSync(data.clientKey);
  ctx.fact('openssl', process.versions.openssl);
  ctx.fact('cert-argument_form', 'https.get(url, { rejectUnauthorized: false, cert, key })');
  ctx.fact('context-form_form', 'https.Agent({ rejectUnauthorized: false, secureContext: tls.createSecureContext({ cert, key }) })');

  const plain = new https.Agent({ keepAlive: false });
  try {
    await ctx.attempt('cert-argument', () =>
      get(`${data.argumentUrl}/mtls/cert-argument`, { agent: plain, headers: ctx.withToken({}), rejectUnauthorized: false, cert, key }),
    );
  } finally {
    plain.destroy();
  }
  const withContext = new https.Agent({ keepAlive: false, rejectUnauthorized: false, secureContext: tls.createSecureContext({ cert, key }) });
  try {
    await ctx.attempt('context-form', () => get(`${data.contextUrl}/mtls/context-form`, { agent: withContext, headers: ctx.withToken({}) }));
  } finally {
    withContext.destroy();
  }
});
