// httpx #1395's contract, for undici. undici's idle expiry is Agent({ keepAliveTimeout }) (4 s by default), but
// a server's `Keep-Alive: timeout=N` hint replaces it (N s less keepAliveTimeoutThreshold), bounded only by
// keepAliveMaxTimeout (600 s by default): this case's server sends timeout=60. Setting an expiry the client
// keeps whatever the server hints is therefore keepAliveTimeout AND keepAliveMaxTimeout. So:
//
// * idle-gap: Agent({ keepAliveTimeout: 30000, keepAliveMaxTimeout: 30000 }) must carry both requests across a
//   6 s idle gap the server allows; a default Agent() beside it (4 s, or the server's hint).
// * short-expiry: Agent({ keepAliveTimeout: 1000, keepAliveMaxTimeout: 1000 }) and 3 s idle: the second
//   request on a new connection.
// * keepalive-boundary: not applicable. undici has no cap on idle connections apart from the total: the
//   `connections` option bounds the connections of an origin at once, and every idle one is kept until its
//   keep-alive timeout.
import { Agent, request } from 'undici';
import { setTimeout as sleep } from 'node:timers/promises';
import { NotApplicable, run } from '@regress/contract';

const NO_IDLE_CAP =
  "undici's Agent and Pool have no cap on idle connections: `connections` bounds all of an origin's connections at once, " +
  'and every idle one is kept until its keep-alive timeout';

async function twoRequests(ctx, data, label, dispatcher) {
  const get = (n) =>
    ctx.attempt(`${label}-${n}`, async () => {
      const response = await request(`${data.url}/ka/${label}/${n}`, { dispatcher, headers: ctx.withToken({}) });
      await response.body.text();
      return response;
    });
  await get(1);
  await sleep(data.idleSeconds * 1000);
  await get(2);
}

/** An Agent whose idle expiry is `ms` whatever the server hints; 10 s bounds each request on loopback. */
function agentExpiringAfter(ms) {
  return new Agent({ keepAliveTimeout: ms, keepAliveMaxTimeout: ms, headersTimeout: 10_000, bodyTimeout: 10_000 });
}

await run(async (ctx) => {
  const data = ctx.input;
  const expiryMs = data.keepaliveExpiry * 1000;
  const configuredWith = `Agent({ keepAliveTimeout: ${expiryMs}, keepAliveMaxTimeout: ${expiryMs} })`;
  if (data.case === 'idle-gap') {
    ctx.fact('configured_with', configuredWith);
    const byDefault = new Agent({ headersTimeout: 10_000, bodyTimeout: 10_000 });
    const configured = agentExpiringAfter(expiryMs);
    try {
      // Both agents idle at the same time: one wait, two observations.
      await Promise.all([twoRequests(ctx, data, 'default', byDefault), twoRequests(ctx, data, 'configured', configured)]);
    } finally {
      await Promise.all([byDefault.close(), configured.close()]);
    }
  } else if (data.case === 'short-expiry') {
    ctx.fact('configured_with', configuredWith);
    const configured = agentExpiringAfter(expiryMs);
    try {
      await twoRequests(ctx, data, 'short', configured);
    } finally {
      await configured.close();
    }
  } else if (data.case === 'keepalive-boundary') {
    ctx.record('configure', ctx.clock(), { ok: false, unsupported: NO_IDLE_CAP });
    throw new NotApplicable(`${NO_IDLE_CAP}, so max_keepalive_connections=${data.maxKeepalive} cannot be expressed`);
  } else {
    throw new Error(`unknown case ${JSON.stringify(data.case)}`);
  }
});
