// {{ID}}: sequential requests with one got instance (TODO: what the reported program does).
//
// Runs the real got release under test (imported from the client environment). The instance carries the
// run's client token header and retries nothing (got retries a GET twice by default: the server would see
// every failure three times); ctx.attempt records each request's status or error as a step the judge reads.
import http from 'node:http';
import got from 'got';
import { run } from '@regress/contract';

await run(async (ctx) => {
  const { url, requests } = ctx.input;
  const agent = new http.Agent({ keepAlive: true });
  const client = got.extend({ headers: ctx.withToken({}), timeout: { request: 10_000 }, retry: { limit: 0 }, agent: { http: agent } });
  await ctx.closing(agent, async () => {
    for (let n = 1; n <= requests; n++) {
      await ctx.attempt(`request-${n}`, () => client.get(`${url}/reuse/${n}`));
    }
  });
});
