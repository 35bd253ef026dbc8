// Every kind the undici contract maps, on the error the release really throws: one step per case of the
// input (test/node-contract.test.ts makes the servers). The body is read inside the attempt, so an error
// while reading it is the step's.
import { Agent, request } from 'undici';
import { run, tlsOptions } from '@regress/contract';

await run(async (ctx) => {
  const agent = new Agent({ connect: { ...tlsOptions(ctx), timeout: 5_000 }, headersTimeout: ctx.input.timeoutMs, bodyTimeout: ctx.input.timeoutMs });
  await ctx.closing(agent, async () => {
    for (const [name, url] of Object.entries(ctx.input.cases)) {
      await ctx.attempt(name, async () => {
        const response = await request(url, { dispatcher: agent, headers: ctx.withToken({}) });
        await response.body.text();
        return response;
      });
    }
  });
});
