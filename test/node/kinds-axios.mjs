// Every kind the axios contract maps, on the error the release really throws (see kinds-undici.mjs).
import https from 'node:https';
import axios from 'axios';
import { run, tlsOptions } from '@regress/contract';

await run(async (ctx) => {
  const client = axios.create({ headers: ctx.withToken({}), timeout: ctx.input.timeoutMs, httpsAgent: new https.Agent(tlsOptions(ctx)) });
  for (const [name, url] of Object.entries(ctx.input.cases)) {
    await ctx.attempt(name, () => client.get(url));
  }
});
