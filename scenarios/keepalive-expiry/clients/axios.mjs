// httpx #1395's contract, for axios. axios keeps no connections of its own: they live in the Node agent it is
// given (httpAgent), else http.globalAgent, whose idle expiry is the Agent's `timeout` (a server's
// `Keep-Alive: timeout=N` hint only shortens it). So:
//
// * idle-gap: httpAgent: new http.Agent({ keepAlive: true, timeout: 30000 }) must carry both requests across a
//   6 s idle gap the server allows; axios with no agent (http.globalAgent) beside it.
// * short-expiry: httpAgent Agent({ keepAlive: true, timeout: 1000 }) and 3 s idle: a new connection.
// * keepalive-boundary: httpAgent Agent({ keepAlive: true, maxFreeSockets: 2 }): exactly 2 of 4 stay open.
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import axios from 'axios';
import { run } from '@regress/contract';

/** One GET through axios (10 s bound on loopback; no proxy from the environment). */
function get(ctx, url, httpAgent, params) {
  return axios.get(url, { headers: ctx.withToken({}), timeout: 10_000, proxy: false, ...(httpAgent ? { httpAgent } : {}), ...(params ? { params } : {}) });
}

async function twoRequests(ctx, data, label, httpAgent) {
  await ctx.attempt(`${label}-1`, () => get(ctx, `${data.url}/ka/${label}/1`, httpAgent));
  await sleep(data.idleSeconds * 1000);
  await ctx.attempt(`${label}-2`, () => get(ctx, `${data.url}/ka/${label}/2`, httpAgent));
}

await run(async (ctx) => {
  const data = ctx.input;
  const expiryMs = data.keepaliveExpiry * 1000;
  if (data.case === 'idle-gap' || data.case === 'short-expiry') {
    ctx.fact('configured_with', `axios({ httpAgent: new http.Agent({ keepAlive: true, timeout: ${expiryMs} }) })`);
    const httpAgent = new http.Agent({ keepAlive: true, timeout: expiryMs });
    try {
      if (data.case === 'idle-gap') {
        ctx.fact('default_client', `axios without httpAgent: http.globalAgent (keepAlive ${Boolean(http.globalAgent.keepAlive)}, timeout ${http.globalAgent.options?.timeout ?? 'none'})`);
        // Both clients idle at the same time: one wait, two observations.
        await Promise.all([twoRequests(ctx, data, 'default', undefined), twoRequests(ctx, data, 'configured', httpAgent)]);
      } else {
        await twoRequests(ctx, data, 'short', httpAgent);
      }
    } finally {
      httpAgent.destroy();
    }
  } else if (data.case === 'keepalive-boundary') {
    const keep = data.maxKeepalive;
    ctx.fact('configured_with', `axios({ httpAgent: new http.Agent({ keepAlive: true, maxSockets: ${data.maxConnections}, maxFreeSockets: ${keep}, timeout: ${expiryMs} }) })`);
    const httpAgent = new http.Agent({ keepAlive: true, maxSockets: data.maxConnections, maxFreeSockets: keep, timeout: expiryMs });
    try {
      // Every request at once, each on its own connection; once all have finished the agent must keep exactly
      // maxFreeSockets of them. The delay as axios's params (axios 1.0.0 dropped a query's '?', axios/axios#5029).
      await Promise.all(
        Array.from({ length: data.tasks }, (_, i) =>
          ctx.attempt(`burst-${i + 1}`, () => get(ctx, `${data.url}/slow/boundary-${i + 1}`, httpAgent, { ms: data.delayMs })),
        ),
      );
      await sleep(data.settleSeconds * 1000);
      await ctx.mark('settled');
    } finally {
      httpAgent.destroy();
    }
  } else {
    throw new Error(`unknown case ${JSON.stringify(data.case)}`);
  }
});
