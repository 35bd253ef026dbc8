// The undici family's contract (npm package undici). A client program imports undici as a user does and
// this contract as '@regress/contract':
//
//   import { Agent, request } from 'undici';
//   import { run, tlsOptions } from '@regress/contract';
//
//   await run(async (ctx) => {
//     const agent = new Agent({ connect: tlsOptions(ctx) });
//     await ctx.closing(agent, async () => {
//       const step = await ctx.attempt('get', () => request(`${ctx.input.url}/x`, { dispatcher: agent, headers: ctx.withToken({}) }));
//       await step.response?.body.text(); // a body left unread holds the connection
//     });
//   });
//
// The contract never imports undici itself: the release is the program's import (resolved from
// REGRESS_CLIENT_ENV by harness/node/register.mjs), and errors are told apart by their `code`, which undici
// has kept stable (UND_ERR_*) from 4.x to 8.x.
import { classifyCommon, links, run as coreRun, tlsKind } from '@regress/core';

export * from '@regress/core';

const PROXY_TUNNEL = /Proxy response \((\d+)\)/;

/** undici's kind for an error: its UND_ERR_* codes first, then Node's errors behind them (classifyCommon). */
export function classify(err) {
  const chain = links(err);
  const kind = tlsKind(chain);
  if (kind) return kind;
  for (const e of chain) {
    const code = typeof e.code === 'string' ? e.code : '';
    const message = String(e.message ?? '');
    if (code === 'UND_ERR_CONNECT_TIMEOUT') return 'connect-timeout';
    if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return 'read-timeout';
    // ProxyAgent: the proxy refused the CONNECT tunnel ("Proxy response (407) !== 200 when HTTP Tunneling").
    const proxy = PROXY_TUNNEL.exec(message);
    if (proxy) return proxy[1] === '407' ? 'proxy-auth' : 'proxy';
    if (/max redirects/i.test(message)) return 'too-many-redirects';
    // throwOnError / the responseError interceptor: a 4xx/5xx status the program asked to be thrown.
    if (code === 'UND_ERR_RESPONSE_STATUS_CODE' || code === 'UND_ERR_RESPONSE') return 'http-status';
    if (code === 'UND_ERR_SOCKET' || code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH') return 'remote-disconnected';
    if (code === 'UND_ERR_CLOSED' || code === 'UND_ERR_DESTROYED') return 'runtime';
  }
  return classifyCommon(err, chain);
}

/** The `connect` options (Agent/Client/Pool) that trust the case's CA (input.caFile) and nothing else added. */
export const tlsOptions = (ctx, key = 'caFile') => ({ ca: ctx.ca(key) });

/** run() with undici's classify; the client module defaults to 'undici'. */
export const run = (scenario, options = {}) => coreRun(scenario, { classify, defaultModule: 'undici', ...options });
