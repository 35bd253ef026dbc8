// got and a redirect to a UNIX socket (CVE-2022-33987, GHSA-pfrx-2q88-qq97): a server on 127.0.0.1 answers
// 302 with `Location: http://unix:<socket path>:/admin`, the form got uses for a request over a UNIX socket.
// got up to 11.8.3 and 12.0.x follows it and reads what the socket serves; 11.8.5 and 12.1.0 refuse with
// `Cannot redirect to UNIX socket`.
//
// - redirect-to-unix-socket: GET the front's /redirect with got's default redirect handling.
// - direct-unix-socket (control): GET the socket directly: every release reaches it, so a refused redirect is
//   the redirect guard, not a got that cannot speak over a UNIX socket.
//
// got 12.2.0 added `enableUnixSockets` (true by default in 12.x, false from 13.0.0; earlier releases reject
// the option as unknown): where the release has it, both cases set it, as a program that talks to a local
// socket on purpose (the Docker API) does. The redirect guard alone then stands between a redirect and the
// socket, which is what the case asks about.
import got from 'got';
import { run } from '@regress/contract';

await run(async (ctx) => {
  const { front, socketPath } = ctx.input;
  const name = ctx.input.case;
  const hasOption = 'enableUnixSockets' in (got.defaults?.options ?? {});
  ctx.fact('enable_unix_sockets', hasOption ? 'set to true' : 'not an option of this release');
  const client = got.extend({
    headers: ctx.withToken({}),
    timeout: { request: 10_000 },
    retry: { limit: 0 },
    throwHttpErrors: false,
    ...(hasOption ? { enableUnixSockets: true } : {}),
  });
  const describe = (response) => ({
    body: String(response.body).slice(0, 200),
    redirect_urls: (response.redirectUrls ?? []).map(String),
  });
  let target;
  if (name === 'redirect-to-unix-socket') target = `${front}/redirect?status=302&path=/admin`;
  else if (name === 'direct-unix-socket') target = `http://unix:${socketPath}:/direct`;
  else throw new Error(`unknown case ${name}`);
  const step = await ctx.attempt('get', () => client.get(target));
  if (step.ok) Object.assign(step, describe(step.response));
});
