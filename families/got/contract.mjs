// The got family's contract (npm package got; ESM only from got 12). A client program imports got as a
// user does:
//
//   import got from 'got';
//   import { run } from '@regress/contract';
//
//   await run(async (ctx) => {
//     const client = got.extend({ headers: ctx.withToken({}), timeout: { request: 10_000 }, retry: { limit: 0 } });
//     await ctx.attempt('get', () => client.get(`${ctx.input.url}/x`));
//   });
//
// got retries a GET twice by default: a program that is not about retries sets retry.limit 0, or the
// server sees three attempts. got wraps failures in RequestError subclasses (TimeoutError with the `event`
// that timed out, HTTPError, ReadError, MaxRedirectsError, CacheError, UploadError...) that copy the
// underlying error's `code`; told apart by name and code, never by importing got here.
import { classifyCommon, links, run as coreRun, tlsKind } from '@regress/core';

export * from '@regress/core';

// got's timeout events (options.timeout keys) by the phase they bound.
const TIMEOUT_EVENTS = {
  lookup: 'connect-timeout',
  connect: 'connect-timeout',
  secureConnect: 'connect-timeout',
  socket: 'read-timeout', // inactivity on a connected socket
  send: 'write-timeout', // the request body not written in time
  response: 'read-timeout', // the response head not received in time
  read: 'read-timeout', // the body not received in time
  request: 'timeout', // the whole request
};

// got's errors carry its options and timings; a plain Error named TimeoutError (AbortSignal) does not.
const isGotError = (e) => typeof e?.name === 'string' && e.options !== undefined && ('timings' in e || 'response' in e || 'request' in e);

/** got's kind for an error: its RequestError subclasses, then Node's errors behind them (classifyCommon). */
export function classify(err) {
  const chain = links(err);
  const kind = tlsKind(chain);
  if (kind) return kind;
  const gotError = chain.find(isGotError);
  if (gotError) {
    if (gotError.name === 'TimeoutError') return TIMEOUT_EVENTS[gotError.event] ?? 'timeout';
    if (gotError.name === 'MaxRedirectsError') return 'too-many-redirects';
    if (gotError.name === 'HTTPError') return gotError.response?.statusCode === 407 ? 'proxy-auth' : 'http-status';
  }
  const common = classifyCommon(err, chain);
  if (common !== 'other' || !gotError) return common;
  if (gotError.name === 'ParseError') return 'other'; // the body is not what responseType said: not the wire's fault
  if (gotError.name === 'ReadError') return 'remote-disconnected';
  return common;
}

/** got's `https` options that trust the case's CA (input.caFile): `https: tlsOptions(ctx)`. */
export const tlsOptions = (ctx, key = 'caFile') => ({ certificateAuthority: ctx.ca(key) });

/** run() with got's classify; the client module defaults to 'got'. */
export const run = (scenario, options = {}) => coreRun(scenario, { classify, defaultModule: 'got', ...options });
