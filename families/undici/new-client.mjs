// {{ID}}: sequential requests with one Agent (TODO: what the reported program does).
//
// Runs the real undici release under test (imported from the client environment, never regress's own).
// ctx.withToken adds the run's client token header; ctx.attempt records each request's status or error
// as a step the judge reads, and keeps the response on step.response.
import { Agent, request } from 'undici';
import { run } from '@regress/contract';

await run(async (ctx) => {
  const { url, requests } = ctx.input;
  // One connection per origin: undici frees a connection a turn of the event loop after its body ended, so
  // a request started at once would otherwise open a second one (measured with undici 7.30 and 8.x).
  const agent = new Agent({ keepAliveTimeout: 10_000, connections: 1 });
  await ctx.closing(agent, async () => {
    for (let n = 1; n <= requests; n++) {
      const step = await ctx.attempt(`request-${n}`, () =>
        request(`${url}/reuse/${n}`, { dispatcher: agent, headers: ctx.withToken({}), headersTimeout: 10_000, bodyTimeout: 10_000 }),
      );
      // A body left unread keeps its connection busy: the next request would need another one.
      await step.response?.body.text();
    }
  });
});
