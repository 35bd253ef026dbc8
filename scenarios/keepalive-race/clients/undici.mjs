// The keep-alive race, for undici's `request` with its default global dispatcher (an Agent: keep-alive on,
// no retry; retries are the opt-in RetryAgent / retry interceptor): a GET, then (after the idle gap in the
// idle-close cases) a GET or a POST. Each body is read whole inside its step. What the server saw decides.
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { run } from '@regress/contract';

const CASES = new Set(['get-close-after-first', 'post-close-after-first', 'get-reset-after-first', 'post-reset-after-first', 'get-idle-close', 'post-idle-close']);
/** Between the requests of the close/reset cases: see fetch.mjs (the same pool, the same reason). */
const PAUSE_MS = 50;

const call = (url, options) => async () => {
  const response = await request(url, { ...options, headersTimeout: 10_000, bodyTimeout: 10_000 });
  await response.body.arrayBuffer();
  return response;
};

await run(async (ctx) => {
  const { url, path, method, postBytes, idleSeconds } = ctx.input;
  if (!CASES.has(ctx.input.case)) throw new Error(`unknown case ${JSON.stringify(ctx.input.case)}`);
  await ctx.attempt('first', call(`${url}${path}/1`, { headers: ctx.withToken({}) }));
  await sleep(idleSeconds ? idleSeconds * 1000 : PAUSE_MS);
  // The idle cases: the moment before sending, on the fixture clock (the judge checks the server's FIN preceded it).
  if (idleSeconds) await ctx.mark('second');
  await nextTurn(); // IDLE_TURN in fetch.mjs: the loop reads what arrived during the gap
  const body = method === 'POST' ? Buffer.alloc(postBytes, 'p') : undefined;
  await ctx.attempt('second', call(`${url}${path}/2`, { method, headers: ctx.withToken({}), ...(body ? { body } : {}) }));
});
