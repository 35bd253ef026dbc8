// nodejs/node#47130: node:http as users call it (http.request, no agent option: the Node release's
// http.globalAgent, keep-alive from Node 19). A GET; a short pause so the socket is back in the agent's free
// list; then synchronous work that blocks the thread (here Atomics.wait, standing for parsing, rendering, a
// CPU-bound handler), during which the server closes the idle connection; then the next request at once,
// with no await in between. node:http retries nothing. What the server saw decides (judge.ts).
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { run, send } from '@regress/contract';

const CASES = new Set(['get-after-busy-loop', 'post-after-busy-loop']);

/** Block this thread for ms: synchronous work, no event-loop turn. */
const busy = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

await run(async (ctx) => {
  const { url, path, method, postBytes, busyMs } = ctx.input;
  if (!CASES.has(ctx.input.case)) throw new Error(`unknown case ${JSON.stringify(ctx.input.case)}`);
  ctx.fact('global_agent_keep_alive', http.globalAgent.keepAlive);
  await ctx.closing(http.globalAgent, async () => {
    await ctx.attempt('first', () => send(http, `${url}${path}/1`, { headers: ctx.withToken({}), timeoutMs: 10_000 }));
    await sleep(50);
    const body = method === 'POST' ? Buffer.alloc(postBytes, 'p') : undefined;
    const headers = ctx.withToken(body ? { 'content-length': String(body.length) } : {});
    busy(busyMs);
    await ctx.attempt('second', () => send(http, `${url}${path}/2`, { method, headers, body, timeoutMs: 10_000 }));
  });
});
