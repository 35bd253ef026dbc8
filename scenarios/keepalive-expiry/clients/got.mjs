// httpx #1395's contract, for got. got keeps no connections of its own: they live in the Node agent it is given
// (agent: { http }), else http.globalAgent, whose idle expiry is the Agent's `timeout` (a server's
// `Keep-Alive: timeout=N` hint only shortens it). So:
//
// * idle-gap: agent: { http: new http.Agent({ keepAlive: true, timeout: 30000 }) } must carry both requests
//   across a 6 s idle gap the server allows; got with no agent (http.globalAgent) beside it.
// * short-expiry: Agent({ keepAlive: true, timeout: 1000 }) and 3 s idle: a new connection.
// * keepalive-boundary: Agent({ keepAlive: true, maxFreeSockets: 2 }): exactly 2 of 4 connections stay open.
// Every request is tried once (retry 0): a retry would hide which connection a request failed on.
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import got from 'got';
import { run } from '@regress/contract';

/** One GET through got (10 s bound on loopback). */
function get(ctx, url, agent) {
  return got(url, { headers: ctx.withToken({}), timeout: { request: 10_000 }, retry: { limit: 0 }, ...(agent ? { agent: { http: agent } } : {}) });
}

async function twoRequests(ctx, data, label, agent) {
  await ctx.attempt(`${label}-1`, () => get(ctx, `${data.url}/ka/${label}/1`, agent));
  await sleep(data.idleSeconds * 1000);
  await ctx.attempt(`${label}-2`, () => get(ctx, `${data.url}/ka/${label}/2`, agent));
}

await run(async (ctx) => {
  const data = ctx.input;
  const expiryMs = data.keepaliveExpiry * 1000;
  if (data.case === 'idle-gap' || data.case === 'short-expiry') {
    ctx.fact('configured_with', `got({ agent: { http: new http.Agent({ keepAlive: true, timeout: ${expiryMs} }) } })`);
    const agent = new http.Agent({ keepAlive: true, timeout: expiryMs });
    try {
      if (data.case === 'idle-gap') {
        ctx.fact('default_client', `got without agent: http.globalAgent (keepAlive ${Boolean(http.globalAgent.keepAlive)}, timeout ${http.globalAgent.options?.timeout ?? 'none'})`);
        // Both clients idle at the same time: one wait, two observations.
        await Promise.all([twoRequests(ctx, data, 'default', undefined), twoRequests(ctx, data, 'configured', agent)]);
      } else {
        await twoRequests(ctx, data, 'short', agent);
      }
    } finally {
      agent.destroy();
    }
  } else if (data.case === 'keepalive-boundary') {
    const keep = data.maxKeepalive;
    ctx.fact('configured_with', `got({ agent: { http: new http.Agent({ keepAlive: true, maxSockets: ${data.maxConnections}, maxFreeSockets: ${keep}, timeout: ${expiryMs} }) } })`);
    const agent = new http.Agent({ keepAlive: true, maxSockets: data.maxConnections, maxFreeSockets: keep, timeout: expiryMs });
    try {
      // Every request at once, each on its own connection; once all have finished the agent must keep exactly
      // maxFreeSockets of them and close the rest.
      await Promise.all(
        Array.from({ length: data.tasks }, (_, i) =>
          ctx.attempt(`burst-${i + 1}`, () => get(ctx, `${data.url}/slow/boundary-${i + 1}?ms=${data.delayMs}`, agent)),
        ),
      );
      await sleep(data.settleSeconds * 1000);
      await ctx.mark('settled');
    } finally {
      agent.destroy();
    }
  } else {
    throw new Error(`unknown case ${JSON.stringify(data.case)}`);
  }
});
