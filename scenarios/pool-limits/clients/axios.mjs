// httpx #787's contract, for axios: axios's way to bound its connections is the Node agent it is given,
// httpAgent: new http.Agent({ keepAlive: true, maxSockets: N }); the server must never see more than N at
// once. axios has no pool timeout (its `timeout` starts once the request has a socket), so the case's pool
// timeout cannot be expressed: the program says so (fact pool_timeout_unsupported), which the judge reads as
// the blocking form of the contract. The requests start all at once.
import http from 'node:http';
import axios from 'axios';
import { run } from '@regress/contract';

await run(async (ctx) => {
  const data = ctx.input;
  const max = data.maxConnections;
  ctx.fact('configured_with', `axios({ httpAgent: new http.Agent({ keepAlive: true, maxSockets: ${max} }) })`);
  ctx.fact(
    'pool_timeout_unsupported',
    "axios has no pool timeout, and node:http's Agent none either: a request waits for a free socket however long it takes " +
      "(axios's timeout starts once a socket is assigned)",
  );
  const httpAgent = new http.Agent({ keepAlive: true, maxSockets: max });
  const delayMs = data.blockingDelayMs ?? data.delayMs;
  try {
    await Promise.all(
      Array.from({ length: data.tasks }, (_, i) => {
        // The delay as axios's params (axios 1.0.0 dropped the '?' of a query written into the URL, axios/axios#5029).
        const url = `${data.url}/slow/limits-${i + 1}`;
        return ctx.attempt(`request-${i + 1}`, () =>
          axios.get(url, { params: { ms: delayMs }, httpAgent, headers: ctx.withToken({}), timeout: data.readTimeout * 1000, proxy: false }),
        );
      }),
    );
  } finally {
    httpAgent.destroy();
  }
});
