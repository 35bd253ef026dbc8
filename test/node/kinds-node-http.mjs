// Every kind the node-http contract maps, on the error node:http(s) really emits (see kinds-undici.mjs).
import http from 'node:http';
import https from 'node:https';
import { run, send, tlsOptions } from '@regress/contract';

await run(async (ctx) => {
  const tls = tlsOptions(ctx);
  for (const [name, url] of Object.entries(ctx.input.cases)) {
    const secure = url.startsWith('https:');
    await ctx.attempt(name, () => send(secure ? https : http, url, { headers: ctx.withToken({}), timeoutMs: ctx.input.timeoutMs, ...(secure ? tls : {}) }));
  }
});
