// httpx #787's contract, for node:http: an Agent({ keepAlive: true, maxSockets: N }) never opens more than N
// connections to a host at once. node:http has no pool timeout (a request the agent cannot give a socket
// waits in agent.requests until one frees up; the request's `timeout` only starts once it has a socket), so
// the case's pool timeout cannot be expressed: the program says so (fact pool_timeout_unsupported), which
// the judge reads as the blocking form of the contract. The requests start all at once.
import http from 'node:http';
import { run, send } from '@regress/contract';

await run(async (ctx) => {
  const data = ctx.input;
  const max = data.maxConnections;
  ctx.fact('configured_with', `http.Agent({ keepAlive: true, maxSockets: ${max} })`);
  ctx.fact(
    'pool_timeout_unsupported',
    'node:http Agent has no pool timeout: a request waits in agent.requests for a free socket however long it takes ' +
      '(request timeouts start once a socket is assigned)',
  );
  const agent = new http.Agent({ keepAlive: true, maxSockets: max });
  // Without a pool timeout the waiters are served one delay after the first wave (the blocking delay).
  const delayMs = data.blockingDelayMs ?? data.delayMs;
  try {
    await Promise.all(
      Array.from({ length: data.tasks }, (_, i) => {
        const url = `${data.url}/slow/limits-${i + 1}?ms=${delayMs}`;
        // timeoutMs (socket inactivity) bounds a request once it has a socket: the read timeout.
        return ctx.attempt(`request-${i + 1}`, () => send(http, url, { agent, headers: ctx.withToken({}), timeoutMs: data.readTimeout * 1000 }));
      }),
    );
  } finally {
    agent.destroy();
  }
});
