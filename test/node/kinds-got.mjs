// Every kind the got contract maps, on the error the release really throws (see kinds-undici.mjs).
// timeout.response: got's phase timeout for a response head that never comes.
import got from 'got';
import { run, tlsOptions } from '@regress/contract';

await run(async (ctx) => {
  const client = got.extend({ headers: ctx.withToken({}), timeout: { response: ctx.input.timeoutMs }, retry: { limit: 0 }, https: tlsOptions(ctx) });
  for (const [name, url] of Object.entries(ctx.input.cases)) {
    await ctx.attempt(name, () => client.get(url));
  }
  // got's whole-request timeout, on the same stalled server.
  if (ctx.input.cases.stall) await ctx.attempt('stall-request', () => got.get(ctx.input.cases.stall, { headers: ctx.withToken({}), timeout: { request: ctx.input.timeoutMs }, retry: { limit: 0 } }));
});
