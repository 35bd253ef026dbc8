// Node's built-in fetch (the undici inside the Node release) across a cross-origin redirect: the two fetch
// cases of undici-redirect-leaks (Cookie, CVE-2023-45143; Proxy-Authorization, CVE-2024-24758). Node 18.20.8
// bundles undici 5.28.4, 20.x and later 6.x / 7.x: every Node release regress installs has both fixes. The
// request() case has no counterpart: Node exposes fetch, not undici's request().
import { NotApplicable, run } from '@regress/contract';

function answerOf(text) {
  try {
    return JSON.parse(text);
  } catch {
    return { firstBytes: text.slice(0, 80) };
  }
}

await run(async (ctx) => {
  const { input } = ctx;
  const url = `${input.a}/redirect?status=302&to=/landing/${input.case}`;
  let headers;
  if (input.case === 'cookie') headers = { cookie: input.cookie };
  else if (input.case === 'proxy-authorization') headers = { 'proxy-authorization': input.proxyAuthorization };
  else if (input.case === 'request-proxy-authorization') {
    ctx.record('configure', ctx.clock(), { ok: false, unsupported: "Node's built-in fetch has no request() with maxRedirections: the case is undici's request API" });
    throw new NotApplicable("the case is undici's request(); Node exposes only fetch");
  } else throw new Error(`unknown case ${input.case}`);
  const step = await ctx.attempt(input.case, () => fetch(url, { headers: ctx.withToken(headers), signal: AbortSignal.timeout(15_000) }), { api: 'fetch' });
  if (step.response) step.answer = answerOf(await step.response.text());
});
