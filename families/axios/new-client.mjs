// {{ID}}: sequential requests with one axios instance (TODO: what the reported program does).
//
// Runs the real axios release under test (imported from the client environment). The instance carries the
// run's client token header; ctx.attempt records each request's status or error as a step the judge reads.
// Node 18's default agent does not keep connections alive: the instance is given one that does.
import http from 'node:http';
import axios from 'axios';
import { run } from '@regress/contract';

await run(async (ctx) => {
  const { url, requests } = ctx.input;
  const httpAgent = new http.Agent({ keepAlive: true });
  const client = axios.create({ headers: ctx.withToken({}), timeout: 10_000, httpAgent });
  await ctx.closing(httpAgent, async () => {
    for (let n = 1; n <= requests; n++) {
      await ctx.attempt(`request-${n}`, () => client.get(`${url}/reuse/${n}`));
    }
  });
});
