// httpx #1395's contract, for Node's global fetch. fetch takes no keep-alive setting: its connections live in
// Node's built-in undici dispatcher (keepAliveTimeout 4 s, replaced by a server's `Keep-Alive: timeout=N`
// hint, bounded by keepAliveMaxTimeout 600 s), and changing them needs an undici Agent as `dispatcher`. So:
//
// * idle-gap: both request pairs use fetch as it comes (fact keepalive_expiry_unsupported), one pair after the
//   other: they share the one built-in pool, and a pair running beside the other could take its connection. A
//   second's pause between the pairs lets the pool take the first pair's connection back before the second
//   pair asks (a request started in the same tick as the last body's end gets a connection of its own).
// * short-expiry, keepalive-boundary: not applicable (no expiry, no idle cap to set).
import { setTimeout as sleep } from 'node:timers/promises';
import { NotApplicable, run } from '@regress/contract';

const NO_SETTING =
  "Node's global fetch takes no keep-alive setting: its built-in dispatcher's keepAliveTimeout and connection limits " +
  'change only through an undici Agent passed as dispatcher (the undici family)';

async function twoRequests(ctx, data, label) {
  const get = (n) =>
    ctx.attempt(`${label}-${n}`, async () => {
      const response = await fetch(`${data.url}/ka/${label}/${n}`, { headers: ctx.withToken({}), signal: AbortSignal.timeout(10_000) });
      await response.arrayBuffer();
      return response;
    });
  await get(1);
  await sleep(data.idleSeconds * 1000);
  await get(2);
}

await run(async (ctx) => {
  const data = ctx.input;
  if (data.case === 'idle-gap') {
    ctx.fact('keepalive_expiry_unsupported', NO_SETTING);
    await twoRequests(ctx, data, 'default');
    await sleep(1000);
    await twoRequests(ctx, data, 'configured');
  } else if (data.case === 'short-expiry' || data.case === 'keepalive-boundary') {
    ctx.record('configure', ctx.clock(), { ok: false, unsupported: NO_SETTING });
    const what = data.case === 'short-expiry' ? `a ${data.keepaliveExpiry} s expiry` : `max_keepalive_connections=${data.maxKeepalive}`;
    throw new NotApplicable(`${NO_SETTING}, so ${what} cannot be expressed`);
  } else {
    throw new Error(`unknown case ${JSON.stringify(data.case)}`);
  }
});
