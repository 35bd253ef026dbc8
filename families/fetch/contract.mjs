// The fetch family's contract: the Node release's own global fetch (undici inside Node; the release under
// test IS the Node release). A client program calls the global as a user does:
//
//   import { run } from '@regress/contract';
//
//   await run(async (ctx) => {
//     const step = await ctx.attempt('get', () => fetch(`${ctx.input.url}/x`, { headers: ctx.withToken({}), signal: AbortSignal.timeout(10_000) }));
//     await step.response?.text(); // a body left unread holds the connection
//   });
//
// fetch rejects with TypeError('fetch failed') and puts what happened in `cause` (undici's SocketError,
// ConnectTimeoutError, Node's TLS and socket errors), so the kind comes from the cause chain.
import tls from 'node:tls';
import { classifyCommon, links, run as coreRun, tlsKind, Unsupported } from '@regress/core';

export * from '@regress/core';

/** fetch's kind for an error: its aborts and its TypeError wrapper first, then the causes (classifyCommon). */
export function classify(err) {
  const chain = links(err);
  const kind = tlsKind(chain);
  if (kind) return kind;
  // AbortSignal.timeout(ms) rejects with its TimeoutError (DOMException); Node 18's fetch said AbortError
  // whatever the reason. A program aborts fetch only to bound it, so both are the program's timeout.
  if (chain.some((e) => e.name === 'TimeoutError' || e.name === 'AbortError')) return 'timeout';
  if (chain.some((e) => /redirect count exceeded/i.test(String(e.message ?? '')))) return 'too-many-redirects';
  const common = classifyCommon(err, chain);
  if (common !== 'other') return common;
  // 'terminated' (the body stream failed) with no cause Node names: the connection went away.
  if (chain.some((e) => e.message === 'terminated')) return 'remote-disconnected';
  return common;
}

/**
 * Make the case's CA (input.caFile) trusted by this process's fetch. The global fetch takes no CA option
 * and a client process gets no NODE_EXTRA_CA_CERTS, so the one way is tls.setDefaultCACertificates (Node
 * 22.19 / 24.5 and later): the default trust store plus this CA. Unsupported on older releases; a program
 * turns that into NotApplicable after recording its `configure` step.
 */
export function trustCa(ctx, key = 'caFile') {
  if (typeof tls.setDefaultCACertificates !== 'function' || typeof tls.getCACertificates !== 'function') {
    throw new Unsupported(`Node ${process.version} has no tls.setDefaultCACertificates: its fetch cannot be given a CA`);
  }
  tls.setDefaultCACertificates([...tls.getCACertificates('default'), ctx.ca(key).toString('utf8')]);
}

/** run() with fetch's classify; the client is the global fetch (the Node release must have one). */
export const run = (scenario, options = {}) => coreRun(scenario, { classify, defaultModule: 'global:fetch', ...options });
