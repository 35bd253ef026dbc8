// The axios family's contract (npm package axios, with follow-redirects, which axios's Node adapter
// require()s from its own folder in REGRESS_CLIENT_ENV). A client program imports axios as a user does:
//
//   import axios from 'axios';
//   import http from 'node:http';
//   import { run } from '@regress/contract';
//
//   await run(async (ctx) => {
//     const client = axios.create({ headers: ctx.withToken({}), timeout: 10_000, httpAgent: new http.Agent({ keepAlive: true }) });
//     await ctx.attempt('get', () => client.get(`${ctx.input.url}/x`));
//   });
//
// axios wraps every failure in an AxiosError whose `code` is either its own (ECONNABORTED for its timeout,
// ERR_BAD_RESPONSE / ERR_BAD_REQUEST for a status validateStatus rejects, ERR_FR_TOO_MANY_REDIRECTS...) or
// the code of the Node error it wraps (kept as `cause`). Errors are told apart by code and isAxiosError,
// never by importing axios here: the release is the program's import.
import { classifyCommon, links, run as coreRun, tlsKind } from '@regress/core';

export * from '@regress/core';

const isAxiosError = (e) => e?.isAxiosError === true || e?.name === 'AxiosError';

/** axios's kind for an error: AxiosError's own codes, then Node's errors behind it (classifyCommon). */
export function classify(err) {
  const chain = links(err);
  const kind = tlsKind(chain);
  if (kind) return kind;
  const axiosError = chain.find(isAxiosError);
  if (axiosError) {
    const code = axiosError.code;
    // Its `timeout` (req.setTimeout: socket inactivity, connecting or reading alike): ECONNABORTED, or
    // ETIMEDOUT with transitional.clarifyTimeoutError.
    if ((code === 'ECONNABORTED' || code === 'ETIMEDOUT') && /timeout/i.test(String(axiosError.message)) && !axiosError.cause?.syscall) return 'timeout';
    if (code === 'ERR_FR_TOO_MANY_REDIRECTS' || /maximum number of redirects exceeded/i.test(String(axiosError.message))) return 'too-many-redirects';
    // A status validateStatus rejected (ERR_BAD_REQUEST for 4xx, ERR_BAD_RESPONSE for 5xx): the response
    // is on the error (ctx.attempt records its status).
    if (/^Request failed with status code/.test(String(axiosError.message)) && axiosError.response?.status !== undefined) {
      return axiosError.response.status === 407 ? 'proxy-auth' : 'http-status';
    }
    // The response's IncomingMessage emitted 'aborted': the connection closed before the body's end.
    if (code === 'ERR_BAD_RESPONSE' && /stream has been aborted/.test(String(axiosError.message))) return 'remote-disconnected';
  }
  const common = classifyCommon(err, chain);
  if (common !== 'other') return common;
  // maxContentLength / maxBodyLength exceeded: a limit the program set, not the wire's fault.
  if (/maxContentLength|maxBodyLength/.test(String(axiosError?.message ?? ''))) return 'other';
  // Another response axios gave up on.
  if (axiosError?.code === 'ERR_BAD_RESPONSE') return 'protocol';
  return common;
}

/** The https.Agent options that trust the case's CA (input.caFile): `httpsAgent: new https.Agent(tlsOptions(ctx))`. */
export const tlsOptions = (ctx, key = 'caFile') => ({ ca: ctx.ca(key) });

/** run() with axios's classify; the client module defaults to 'axios'. */
export const run = (scenario, options = {}) => coreRun(scenario, { classify, defaultModule: 'axios', ...options });
