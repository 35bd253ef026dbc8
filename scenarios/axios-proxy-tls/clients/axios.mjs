// axios-proxy-tls: one POST to the HTTPS origin through the HTTP proxy, with axios's own `proxy` option
// (protocol, host, port, auth) and the TLS options of the case:
//   tunnel, agent-ca            httpsAgent: new https.Agent({ ca })            (the run's CA)
//   reject-unauthorized-false   httpsAgent: new https.Agent({ rejectUnauthorized: false }), no CA
//   global-agent-ca             no httpsAgent; https.globalAgent.options.ca = the run's CA
// The request carries an Authorization header and a form body, so the judge can tell whether the proxy read
// them. Everything goes through axios's default Node adapter (follow-redirects, maxRedirects 21): the
// tunnel, if any, is axios's own.
import https from 'node:https';
import axios from 'axios';
import { run, tlsOptions } from '@regress/contract';

await run(async (ctx) => {
  const { case: name, origin, proxy, authorization, body } = ctx.input;
  let agentOptions;
  if (name === 'tunnel' || name === 'agent-ca') agentOptions = tlsOptions(ctx);
  else if (name === 'reject-unauthorized-false') agentOptions = { rejectUnauthorized: false };
  else if (name === 'global-agent-ca') https.globalAgent.options.ca = ctx.ca();
  else throw new Error(`unknown case ${JSON.stringify(name)}: this program has no code for it`); // an error, never not-applicable

  const httpsAgent = agentOptions ? new https.Agent(agentOptions) : undefined;
  const step = await ctx.attempt(name, () =>
    axios.post(`${origin}/secret/${name}`, body, {
      proxy,
      ...(httpsAgent ? { httpsAgent } : {}),
      headers: ctx.withToken({ Authorization: authorization, 'Content-Type': 'application/x-www-form-urlencoded' }),
      timeout: 10_000,
    }),
  );
  // Who answered: the origin's JSON names itself; the proxy's own 400 is text.
  const data = step.response?.data;
  if (data !== undefined) step.answer = typeof data === 'string' ? data.slice(0, 120) : data;
  httpsAgent?.destroy();
});
