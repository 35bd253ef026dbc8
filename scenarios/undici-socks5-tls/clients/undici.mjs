// undici's ProxyAgent over a SOCKS5 proxy to an HTTPS origin, with the origin's TLS settings in requestTls
// (CVE-2026-9697, GHSA-vmh5-mc38-953g): from 7.23.0 (the first release whose ProxyAgent takes socks5://)
// to 7.27.2 and 8.0.0 - 8.4.1, the SOCKS5 path built its TLS connection from the origin's URL alone and
// dropped requestTls, so the CA, rejectUnauthorized and servername a user gave never reached the handshake.
//
//   request-tls-ca              requestTls: { ca: <the run's CA> }; the origin's certificate chains to it
//   reject-unauthorized-false   requestTls: { rejectUnauthorized: false }; the origin's certificate is self-signed
//   servername                  requestTls: { ca, servername: 'wrong.host.invalid' }; the origin (reached as
//                               127.0.0.1) presents a certificate for that name only
//
// One GET through `new ProxyAgent({ uri: 'socks5://...', requestTls })`, as a user writes it. A release without
// SOCKS5 support cannot express the case: SOCKS5 came in 7.23.0 with Socks5ProxyAgent; before it ProxyAgent
// refuses the socks5: scheme ("Invalid URL protocol", 5.11 - 7.22) or takes it and fails on every request
// with "Invalid URL" (5.0 - 5.10, which never parsed the scheme).
import * as undici from 'undici';
import { ProxyAgent, request } from 'undici';
import { NotApplicable, run } from '@regress/contract';

await run(async (ctx) => {
  const { input } = ctx;
  const ca = ctx.ca();
  const requestTls = {
    'request-tls-ca': { ca },
    'reject-unauthorized-false': { rejectUnauthorized: false },
    servername: { ca, servername: input.servername },
  }[input.case];
  if (!requestTls) throw new Error(`unknown case ${input.case}`);

  const started = ctx.clock();
  if (typeof undici.Socks5ProxyAgent !== 'function') {
    ctx.record('configure', started, { ok: false, unsupported: 'this release has no SOCKS5 support (no Socks5ProxyAgent; ProxyAgent speaks HTTP CONNECT only): it came in 7.23.0' });
    throw new NotApplicable('no SOCKS5 support in this release');
  }
  let agent;
  try {
    agent = new ProxyAgent({ uri: input.proxyUrl, requestTls });
  } catch (err) {
    if (err?.code === 'UND_ERR_INVALID_ARG' && /protocol/i.test(String(err.message))) {
      ctx.recordError('configure', started, err, { unsupported: `this release's ProxyAgent refuses a socks5:// proxy (${err.message}): SOCKS5 support came in 7.23.0` });
      throw new NotApplicable('ProxyAgent takes no socks5:// proxy in this release');
    }
    throw err;
  }
  ctx.record('configure', started, { ok: true, proxy: input.proxyUrl, requestTls: Object.keys(requestTls) });

  await ctx.closing(agent, async () => {
    const step = await ctx.attempt(input.case, () =>
      request(`${input.url}/socks5/${input.case}`, { dispatcher: agent, headers: ctx.withToken({}), headersTimeout: 15_000, bodyTimeout: 15_000 }),
    );
    // Read the body: who answered (the fixture's JSON names the path it served).
    if (step.response) step.body = (await step.response.body.text()).slice(0, 200);
  });
});
