// The node-http family's contract: node:http / node:https with their Agent (the release under test IS the
// Node release). A client program imports them as a user does:
//
//   import http from 'node:http';
//   import { run, send } from '@regress/contract';
//
//   await run(async (ctx) => {
//     const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
//     await ctx.closing(agent, async () => {
//       await ctx.attempt('get', () => send(http, `${ctx.input.url}/x`, { agent, headers: ctx.withToken({}), timeoutMs: 10_000 }));
//     });
//   });
//
// node:http reports a response cut short as ECONNRESET ('socket hang up' before the head, 'aborted' during
// the body) and has no timeouts of its own: send() bounds a request by socket inactivity and says in the
// error's code which phase was idle (connecting or waiting for data), as Python's socket timeouts do.
import { classifyCommon, links, run as coreRun } from '@regress/core';

export * from '@regress/core';

/** The codes send() gives its own inactivity timeouts. */
export const CONNECT_TIMEOUT = 'ERR_REGRESS_CONNECT_TIMEOUT';
export const READ_TIMEOUT = 'ERR_REGRESS_READ_TIMEOUT';

/** node:http's kind for an error: send()'s timeouts, then Node's own errors (classifyCommon). */
export function classify(err) {
  const chain = links(err);
  if (chain.some((e) => e.code === CONNECT_TIMEOUT)) return 'connect-timeout';
  if (chain.some((e) => e.code === READ_TIMEOUT)) return 'read-timeout';
  return classifyCommon(err, chain);
}

class SocketTimeout extends Error {
  constructor(message, code) {
    super(message);
    this.name = 'TimeoutError';
    this.code = code;
  }
}

/**
 * One request with module.request (http or https, the module under test): resolves
 * { statusCode, headers, body: Buffer } once the body has ended, rejects with the error the request or the
 * response emitted. options: the module's request options (agent, headers, ca, method...), plus `body`
 * (written, then the request ends) and `timeoutMs` (socket inactivity; the request is destroyed with a
 * TimeoutError whose code says whether it was still connecting).
 */
export function send(module, url, { body, timeoutMs, ...options } = {}) {
  return new Promise((resolve, reject) => {
    const request = module.request(url, options, (response) => {
      const chunks = [];
      response.on('data', (chunk) => chunks.push(chunk));
      response.on('end', () => resolve({ statusCode: response.statusCode, headers: response.headers, body: Buffer.concat(chunks), response }));
      response.on('error', reject);
      response.on('aborted', () => reject(Object.assign(new Error('aborted'), { code: 'ECONNRESET' })));
    });
    request.on('error', reject);
    if (timeoutMs) {
      request.setTimeout(timeoutMs, () => {
        const connecting = request.socket?.connecting ?? true;
        const code = connecting ? CONNECT_TIMEOUT : READ_TIMEOUT;
        request.destroy(new SocketTimeout(`no ${connecting ? 'connection' : 'data'} within ${timeoutMs} ms`, code));
      });
    }
    if (body !== undefined) request.write(body);
    request.end();
  });
}

/** The https options that trust the case's CA (input.caFile) and nothing else added. */
export const tlsOptions = (ctx, key = 'caFile') => ({ ca: ctx.ca(key) });

/** run() with node:http's classify; the client module defaults to 'node:http'. */
export const run = (scenario, options = {}) => coreRun(scenario, { classify, defaultModule: 'node:http', ...options });
