// An https request with no CA of the case's: it succeeds only if the process trusts the run's CA some other
// way (NODE_EXTRA_CA_CERTS reaching the client), which the harness must never let happen.
import https from 'node:https';
import { run, send } from '@regress/contract';

await run(async (ctx) => {
  await ctx.attempt('no-ca', () => send(https, ctx.input.url, { headers: ctx.withToken({}), timeoutMs: 10_000 }));
});
