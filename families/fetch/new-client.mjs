// {{ID}}: sequential requests with the Node release's global fetch (TODO: what the reported program does).
//
// Runs the fetch of the Node release under test. ctx.withToken adds the run's client token header;
// ctx.attempt records each request's status or error as a step the judge reads, and keeps the response
// on step.response.
import { run } from '@regress/contract';

await run(async (ctx) => {
  const { url, requests } = ctx.input;
  for (let n = 1; n <= requests; n++) {
    const step = await ctx.attempt(`request-${n}`, () =>
      fetch(`${url}/reuse/${n}`, { headers: ctx.withToken({}), signal: AbortSignal.timeout(10_000) }),
    );
    // A body left unread keeps its connection busy: the next request would need another one. And the pool
    // frees the connection a turn of the event loop after the body ended: a request started at once opens a
    // second connection (measured on Node 18 to 24), so the next request waits for that turn.
    await step.response?.text();
    await new Promise((resolve) => setImmediate(resolve));
  }
});
