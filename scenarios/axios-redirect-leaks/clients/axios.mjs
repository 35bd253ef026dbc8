// axios-redirect-leaks: one GET to server A carrying the header under test (a Cookie, or a Proxy-Authorization
// with no proxy configured); A answers 302 to B, another host. axios's Node adapter hands the request to
// follow-redirects (maxRedirects 21, the default), which decides what goes on to B: the leak, if any, is
// follow-redirects'. The step records the status, the landing JSON (B's names itself), the URL the
// response came from and the number of redirects follow-redirects followed.
import axios from 'axios';
import { run } from '@regress/contract';

const HEADERS = {
  cookie: (input) => ({ Cookie: input.cookie }),
  'proxy-authorization': (input) => ({ 'Proxy-Authorization': input.proxyAuthorization }),
};

await run(async (ctx) => {
  const { case: name, a } = ctx.input;
  const header = HEADERS[name];
  if (!header) throw new Error(`unknown case ${JSON.stringify(name)}: this program has no code for it`); // an error, never not-applicable
  // proxy: false, so nothing but the request's own header could be a Proxy-Authorization (and the client
  // process has no proxy variables anyway).
  const step = await ctx.attempt(name, () =>
    axios.get(`${a}/redirect?status=302&to=/landing/${name}`, { headers: ctx.withToken(header(ctx.input)), proxy: false, timeout: 10_000 }),
  );
  const response = step.response;
  if (response) {
    step.answer = response.data;
    // follow-redirects puts the final URL on the native response and itself on the native request.
    const url = response.request?.res?.responseUrl;
    if (url) step.responseUrl = url;
    const redirects = response.request?._redirectable?._redirectCount;
    if (typeof redirects === 'number') step.redirects = redirects;
  }
});
