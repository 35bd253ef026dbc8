// The keep-alive race, for the Node release's global fetch (undici inside Node, its global dispatcher: keep-
// alive on, no retry): a GET, then (after the idle gap in the idle-close cases) a GET or a POST. Each body
// is read whole inside its step, as a user's `await res.text()`. What the server saw decides (judge.ts).
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { run } from '@regress/contract';

const CASES = new Set(['get-close-after-first', 'post-close-after-first', 'get-reset-after-first', 'post-reset-after-first', 'get-idle-close', 'post-idle-close']);
/**
 * Between the requests of the close/reset cases. A second request sent in the same turn of the event loop
 * as the first body's end finds undici's pool still counting the first connection busy and opens another
 * (measured on the fetch of Node 18-24 and undici 8.14.1: no reuse, so no race); any later turn reuses it, as a
 * program that does anything between two requests does. No server timer depends on it.
 */
const PAUSE_MS = 50;
/*
 * IDLE_TURN: after the idle gap, one turn of the event loop before the next request. A process starved of CPU
 * (a loaded machine) can wake with the gap's timer and the server's FIN ready together, and Node runs timers
 * before it reads sockets: the request would go out on the closed connection although the FIN had been there
 * for 700 ms. The idle-close cases ask whether the client notices a close it had time to read; a close that
 * arrives while the program's own event loop is blocked is another question (nodejs/node#47130,
 * nodejs/undici#3492), which setImmediate does not answer for it: it only lets the loop read what arrived.
 */

const call = (url, init) => async () => {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  await response.arrayBuffer();
  return response;
};

await run(async (ctx) => {
  const { url, path, method, postBytes, idleSeconds } = ctx.input;
  if (!CASES.has(ctx.input.case)) throw new Error(`unknown case ${JSON.stringify(ctx.input.case)}`);
  await ctx.attempt('first', call(`${url}${path}/1`, { headers: ctx.withToken({}) }));
  await sleep(idleSeconds ? idleSeconds * 1000 : PAUSE_MS);
  // The idle cases: the moment before sending, on the fixture clock (the judge checks the server's FIN preceded it).
  if (idleSeconds) await ctx.mark('second');
  await nextTurn(); // IDLE_TURN, above
  const body = method === 'POST' ? Buffer.alloc(postBytes, 'p') : undefined;
  await ctx.attempt('second', call(`${url}${path}/2`, { method, headers: ctx.withToken({}), ...(body ? { body } : {}) }));
});
