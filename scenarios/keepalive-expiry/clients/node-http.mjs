// httpx #1395's contract, for node:http. A keep-alive Agent's idle expiry is its `timeout`: the Agent sets it
// on every socket it pools (keepSocketAlive) and destroys a free socket that times out; a server's
// `Keep-Alive: timeout=N` hint only ever shortens it (to N - 1 s). So:
//
// * idle-gap: one Agent({ keepAlive: true, timeout: 30000 }) must carry both requests across a 6 s idle gap the
//   server allows (60 s). The default client is http.globalAgent, noted beside it: since Node 19 a keep-alive
//   agent with timeout 5000, the very 5 s expiry of httpx #1395; before, no keep-alive at all.
// * short-expiry: Agent({ keepAlive: true, timeout: 1000 }) and 3 s idle: the second request on a new connection.
// * keepalive-boundary: Agent({ keepAlive: true, maxFreeSockets: 2 }) keeps at most 2 idle sockets per host and
//   destroys a socket freed beyond them: 4 requests at once, then exactly 2 connections stay open.
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { run, send } from '@regress/contract';

/** One GET; `agent` undefined: http.globalAgent. 10 s of silence bounds it on a loopback server. */
const get = (url, headers, agent) => send(http, url, { headers, ...(agent ? { agent } : {}), timeoutMs: 10_000 });

function describeGlobalAgent() {
  const { keepAlive, timeout } = http.globalAgent.options ?? {};
  return `http.globalAgent (keepAlive ${Boolean(keepAlive ?? http.globalAgent.keepAlive)}, timeout ${timeout ?? 'none'})`;
}

async function twoRequests(ctx, data, label, agent) {
  await ctx.attempt(`${label}-1`, () => get(`${data.url}/ka/${label}/1`, ctx.withToken({}), agent));
  await sleep(data.idleSeconds * 1000);
  await ctx.attempt(`${label}-2`, () => get(`${data.url}/ka/${label}/2`, ctx.withToken({}), agent));
}

await run(async (ctx) => {
  const data = ctx.input;
  const expiryMs = data.keepaliveExpiry * 1000;
  if (data.case === 'idle-gap') {
    ctx.fact('configured_with', `http.Agent({ keepAlive: true, timeout: ${expiryMs} })`);
    ctx.fact('default_client', describeGlobalAgent());
    const agent = new http.Agent({ keepAlive: true, timeout: expiryMs });
    try {
      // Both clients idle at the same time: one wait, two observations.
      await Promise.all([twoRequests(ctx, data, 'default', undefined), twoRequests(ctx, data, 'configured', agent)]);
    } finally {
      agent.destroy();
    }
  } else if (data.case === 'short-expiry') {
    ctx.fact('configured_with', `http.Agent({ keepAlive: true, timeout: ${expiryMs} })`);
    const agent = new http.Agent({ keepAlive: true, timeout: expiryMs });
    try {
      await twoRequests(ctx, data, 'short', agent);
    } finally {
      agent.destroy();
    }
  } else if (data.case === 'keepalive-boundary') {
    const keep = data.maxKeepalive;
    ctx.fact('configured_with', `http.Agent({ keepAlive: true, maxSockets: ${data.maxConnections}, maxFreeSockets: ${keep}, timeout: ${expiryMs} })`);
    const agent = new http.Agent({ keepAlive: true, maxSockets: data.maxConnections, maxFreeSockets: keep, timeout: expiryMs });
    try {
      // Every request at once, each on its own connection (the server holds each answer delayMs); once all
      // have finished, the agent must keep exactly maxFreeSockets of those connections and close the rest.
      await Promise.all(
        Array.from({ length: data.tasks }, (_, i) =>
          ctx.attempt(`burst-${i + 1}`, () => get(`${data.url}/slow/boundary-${i + 1}?ms=${data.delayMs}`, ctx.withToken({}), agent)),
        ),
      );
      await sleep(data.settleSeconds * 1000);
      // On the fixture clock, with every connection still held as the agent holds it.
      await ctx.mark('settled');
    } finally {
      agent.destroy();
    }
  } else {
    throw new Error(`unknown case ${JSON.stringify(data.case)}`);
  }
});
