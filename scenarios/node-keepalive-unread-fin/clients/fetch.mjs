// nodejs/undici#3492: the Node release's global fetch (undici's global dispatcher: keep-alive, no retry). A
// GET (body read); a short pause so the connection is back in the pool; then synchronous work that blocks
// the thread (Atomics.wait, standing for parsing, rendering, a CPU-bound handler), during which the server
// closes the idle connection; then the next fetch at once, with no await in between. What the server saw
// decides (judge.ts).
import { setTimeout as sleep } from 'node:timers/promises';
import { run } from '@regress/contract';

const CASES = new Set(['get-after-busy-loop', 'post-after-busy-loop']);

/** Block this thread for ms: synchronous work, no event-loop turn. */
const busy = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

const call = (url, init) => async () => {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  await response.arrayBuffer();
  return response;
};

await run(async (ctx) => {
  const { url, path, method, postBytes, busyMs } = ctx.input;
  if (!CASES.has(ctx.input.case)) throw new Error(`unknown case ${JSON.stringify(ctx.input.case)}`);
  await ctx.attempt('first', call(`${url}${path}/1`, { headers: ctx.withToken({}) }));
  await sleep(50);
  const body = method === 'POST' ? Buffer.alloc(postBytes, 'p') : undefined;
  busy(busyMs);
  await ctx.attempt('second', call(`${url}${path}/2`, { method, headers: ctx.withToken({}), ...(body ? { body } : {}) }));
});
