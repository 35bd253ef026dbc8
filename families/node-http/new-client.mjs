// {{ID}}: sequential requests with one keep-alive http.Agent (TODO: what the reported program does).
//
// Runs node:http of the Node release under test. send() (from the contract) makes one request and reads
// its body; ctx.withToken adds the run's client token header; ctx.attempt records each request's status
// or error as a step the judge reads.
import http from 'node:http';
import { run, send } from '@regress/contract';

await run(async (ctx) => {
  const { url, requests } = ctx.input;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  await ctx.closing(agent, async () => {
    for (let n = 1; n <= requests; n++) {
      await ctx.attempt(`request-${n}`, () => send(http, `${url}/reuse/${n}`, { agent, headers: ctx.withToken({}), timeoutMs: 10_000 }));
    }
  });
});
