// The keep-alive race, for node:http as users call it: http.request with no agent option, so the Node
// release's own http.globalAgent (Node 18: keepAlive false, a new connection per request; Node 19 and later:
// keepAlive true, the connection reused). A GET, then (after the idle gap in the idle-close cases) a GET or
// a POST. node:http retries nothing; what the server saw decides (judge.ts).
import http from 'node:http';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { run, send } from '@regress/contract';

const CASES = new Set(['get-close-after-first', 'post-close-after-first', 'get-reset-after-first', 'post-reset-after-first', 'get-idle-close', 'post-idle-close']);
/** Between the requests of the close/reset cases, as in fetch.mjs and undici.mjs (see there): no server timer depends on it. */
const PAUSE_MS = 50;

await run(async (ctx) => {
  const { url, path, method, postBytes, idleSeconds } = ctx.input;
  if (!CASES.has(ctx.input.case)) throw new Error(`unknown case ${JSON.stringify(ctx.input.case)}`);
  ctx.fact('global_agent_keep_alive', http.globalAgent.keepAlive);
  await ctx.closing(http.globalAgent, async () => {
    await ctx.attempt('first', () => send(http, `${url}${path}/1`, { headers: ctx.withToken({}), timeoutMs: 10_000 }));
    await sleep(idleSeconds ? idleSeconds * 1000 : PAUSE_MS);
    // The idle cases: the moment before sending, on the fixture clock (the judge checks the server's FIN preceded it).
    if (idleSeconds) await ctx.mark('second');
    await nextTurn(); // IDLE_TURN in fetch.mjs: the loop reads what arrived during the gap
    const body = method === 'POST' ? Buffer.alloc(postBytes, 'p') : undefined;
    const headers = ctx.withToken(body ? { 'content-length': String(body.length) } : {});
    await ctx.attempt('second', () => send(http, `${url}${path}/2`, { method, headers, body, timeoutMs: 10_000 }));
  });
});
