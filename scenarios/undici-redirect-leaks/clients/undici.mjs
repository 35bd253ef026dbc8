// undici across a cross-origin redirect (server A answers 302 to server B, another port of 127.0.0.1): what
// undici's own redirect handling carries to B.
//
// - cookie: fetch() with a Cookie header; undici cleared Authorization on a cross-origin redirect but not
//   Cookie (CVE-2023-45143, GHSA-wqq4-5wpv-mx2g; fixed in 5.26.2).
// - proxy-authorization: fetch() with a Proxy-Authorization header, no proxy in use (CVE-2024-24758,
//   GHSA-3787-6prv-h9w3; fixed in 5.28.3 and 6.6.1).
// - request-proxy-authorization: request() following redirects itself, with a Proxy-Authorization header
//   (CVE-2024-30260, GHSA-m4v8-wqvr-p9f7; fixed in 5.28.4 and 6.11.1). Up to 6.x redirects are the request's
//   own `maxRedirections` option; undici 7 removed it ("maxRedirections is not supported, use the redirect
//   interceptor"): there the same request goes through an Agent composed with interceptors.redirect, the
//   API that replaced it, and the step says which API carried it.
//
// Every request names a dispatcher (an Agent of the release under test), never the global one: the global
// dispatcher is shared by every undici in the process through a Symbol.for key, and on Node 22 and later
// any ESM import of node:http installs Node's own bundled undici there, so a request without a dispatcher
// would run Node's redirect handling instead of the release's.
import * as undici from 'undici';
import { run } from '@regress/contract';

const { Agent, fetch, request } = undici;

/** The landing page's JSON (server, method, path) or its first bytes: who answered the last request. */
function answerOf(text) {
  try {
    return JSON.parse(text);
  } catch {
    return { firstBytes: text.slice(0, 80) };
  }
}

async function viaFetch(ctx, url, headers) {
  const dispatcher = new Agent();
  await ctx.closing(dispatcher, async () => {
    const step = await ctx.attempt(ctx.input.case, () => fetch(url, { headers: ctx.withToken(headers), dispatcher, signal: AbortSignal.timeout(15_000) }), { api: 'fetch' });
    if (step.response) step.answer = answerOf(await step.response.text());
  });
}

/**
 * Whether this release's dispatchers know maxRedirections: 5.x and 6.x validate it (a negative value throws
 * "maxRedirections must be a positive number"); undici 7 dropped it (7.0.0 ignores it silently, later 7.x
 * releases reject it on a request). Asked without any traffic.
 */
function knowsMaxRedirections() {
  try {
    void new Agent({ maxRedirections: -1 });
    return false;
  } catch (err) {
    return /maxRedirections/.test(String(err?.message));
  }
}

async function viaRequest(ctx, url, headers) {
  const options = { headers: ctx.withToken(headers), headersTimeout: 15_000, bodyTimeout: 15_000 };
  const started = ctx.clock();
  const agent = new Agent();
  const option = knowsMaxRedirections();
  const api = option
    ? 'request(url, { dispatcher: new Agent(), maxRedirections: 1 })'
    : 'request(url, { dispatcher: new Agent().compose(interceptors.redirect({ maxRedirections: 1 })) })';
  if (!option && typeof undici.interceptors?.redirect !== 'function') throw new Error('this release has neither maxRedirections nor interceptors.redirect');
  ctx.record('configure', started, { ok: true, api });
  await ctx.closing(agent, async () => {
    const call = option
      ? () => request(url, { ...options, dispatcher: agent, maxRedirections: 1 })
      : () => request(url, { ...options, dispatcher: agent.compose(undici.interceptors.redirect({ maxRedirections: 1 })) });
    const step = await ctx.attempt(ctx.input.case, call, { api });
    if (step.response) step.answer = answerOf(await step.response.body.text());
  });
}

await run(async (ctx) => {
  const { input } = ctx;
  const url = `${input.a}/redirect?status=302&to=/landing/${input.case}`;
  if (input.case === 'cookie') await viaFetch(ctx, url, { cookie: input.cookie });
  else if (input.case === 'proxy-authorization') await viaFetch(ctx, url, { 'proxy-authorization': input.proxyAuthorization });
  else if (input.case === 'request-proxy-authorization') await viaRequest(ctx, url, { 'proxy-authorization': input.proxyAuthorization });
  else throw new Error(`unknown case ${input.case}`);
});
