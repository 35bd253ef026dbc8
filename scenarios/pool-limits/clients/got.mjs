// httpx #787's contract, for got: got's way to bound its connections is the Node agent it is given,
// agent: { http: new http.Agent({ keepAlive: true, maxSockets: N }) }; the server must never see more than N
// at once. got has no pool timeout (its timeout phases start once the request has a socket), so the case's
// pool timeout cannot be expressed: the program says so (fact pool_timeout_unsupported), which the judge
// reads as the blocking form of the contract. The requests start all at once, each tried once (retry 0).
import http from 'node:http';
import got from 'got';
import { run } from '@regress/contract';

await run(async (ctx) => {
  const data = ctx.input;
  const max = data.maxConnections;
  ctx.fact('configured_with', `got({ agent: { http: new http.Agent({ keepAlive: true, maxSockets: ${max} }) } })`);
  ctx.fact(
    'pool_timeout_unsupported',
    "got has no pool timeout, and node:http's Agent none either: a request waits for a free socket however long it takes " +
      "(got's lookup/connect/response timeouts start once a socket is assigned)",
  );
  const agent = new http.Agent({ keepAlive: true, maxSockets: max });
  const delayMs = data.blockingDelayMs ?? data.delayMs;
  try {
    await Promise.all(
      Array.from({ length: data.tasks }, (_, i) => {
        const url = `${data.url}/slow/limits-${i + 1}?ms=${delayMs}`;
        return ctx.attempt(`request-${i + 1}`, () =>
          got(url, {
            agent: { http: agent },
            headers: ctx.withToken({}),
            // Bounds a request once it has a socket; the queue wait is the case's subject and got has no bound for it.
            timeout: { response: data.readTimeout * 1000 },
            retry: { limit: 0 },
          }),
        );
      }),
    );
  } finally {
    agent.destroy();
  }
});
