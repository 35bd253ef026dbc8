// httpx #787's contract, for undici: an Agent({ connections: N }) (a Pool of N per origin) never opens more
// than N connections to a host at once. undici has no pool timeout: a request no connection can take waits
// in the pool's queue, and headersTimeout / bodyTimeout only run once it is written to a connection. So the
// case's pool timeout cannot be expressed: the program says so (fact pool_timeout_unsupported), which the
// judge reads as the blocking form of the contract. The requests start all at once.
import { Agent, request } from 'undici';
import { run } from '@regress/contract';

await run(async (ctx) => {
  const data = ctx.input;
  const max = data.maxConnections;
  const readMs = data.readTimeout * 1000;
  ctx.fact('configured_with', `Agent({ connections: ${max} })`);
  ctx.fact(
    'pool_timeout_unsupported',
    "undici's Pool has no pool timeout: a request waits in the queue for a free connection however long it takes " +
      '(headersTimeout and bodyTimeout start once it is dispatched on a connection)',
  );
  const dispatcher = new Agent({ connections: max, headersTimeout: readMs, bodyTimeout: readMs });
  const delayMs = data.blockingDelayMs ?? data.delayMs;
  try {
    await Promise.all(
      Array.from({ length: data.tasks }, (_, i) => {
        const url = `${data.url}/slow/limits-${i + 1}?ms=${delayMs}`;
        return ctx.attempt(`request-${i + 1}`, async () => {
          const response = await request(url, { dispatcher, headers: ctx.withToken({}) });
          await response.body.text();
          return response;
        });
      }),
    );
  } finally {
    await dispatcher.close();
  }
});
