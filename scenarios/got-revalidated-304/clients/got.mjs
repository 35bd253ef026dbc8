// got with an HTTP cache (`cache: new Map()`) against a validator server: the resource comes with an ETag
// and `Cache-Control: no-cache`, so got stores it and revalidates it on the next request; the server
// answers 304 Not Modified. The cases:
//
// - revalidated-gzip: the resource is gzipped and the 304 says `Content-Encoding: gzip` too (got#2410).
//   got 12.5.0 - 14.4.9 never settle the revalidated request: no body, no error, and `timeout.request`
//   (2 s here) never fires. Fixed in 14.5.0.
// - revalidated-identity (control): the same without Content-Encoding; every release returns the stored body.
// - not-modified-gzip (control): one request, no cache, answered 304 with `Content-Encoding: gzip` and no
//   body (the test got 14.4.9 added for #2410): every release returns the 304 with an empty body.
//
// A request that hangs is the failure under test, so every request races a 6 s timer: when the timer wins,
// the step says `still-pending` and the program marks that moment on the fixture clock (the judge compares
// it with when the server sent its 304). got retries nothing here (retry.limit 0) and throws on no status.
import { createHash } from 'node:crypto';
import got from 'got';
import { run } from '@regress/contract';

/** How long a request may stay unsettled before the program stops waiting (3x timeout.request). */
const PENDING_MS = 6000;
const REQUEST_BUDGET_MS = 2000;
const STILL_PENDING = Symbol('still-pending');

/** One request, bounded: its response (status, body digest, from cache), its error, or `still-pending`. */
async function bounded(ctx, name, request) {
  const started = ctx.clock();
  let timer;
  const pending = new Promise((resolve) => {
    timer = setTimeout(() => resolve(STILL_PENDING), PENDING_MS);
  });
  const settling = request();
  // A request abandoned while pending may still fail later: that must not crash the program.
  settling.catch(() => undefined);
  let outcome;
  try {
    outcome = await Promise.race([settling, pending]);
  } catch (err) {
    clearTimeout(timer);
    return ctx.recordError(name, started, err, err?.response ? { status: err.response.statusCode } : {});
  }
  clearTimeout(timer);
  if (outcome === STILL_PENDING) {
    await ctx.mark(`${name}-still-pending`);
    return ctx.record(name, started, { ok: false, outcome: 'still-pending', waited_ms: PENDING_MS });
  }
  const body = Buffer.isBuffer(outcome.rawBody) ? outcome.rawBody : Buffer.from(String(outcome.body ?? ''));
  return ctx.record(name, started, {
    ok: true,
    status: outcome.statusCode,
    from_cache: Boolean(outcome.isFromCache),
    body_bytes: body.length,
    body_sha256: createHash('sha256').update(body).digest('hex'),
  });
}

await run(async (ctx) => {
  const { url } = ctx.input;
  const name = ctx.input.case;
  ctx.fact('timeout_request_ms', REQUEST_BUDGET_MS);
  ctx.fact('pending_wait_ms', PENDING_MS);
  const options = { headers: ctx.withToken({}), timeout: { request: REQUEST_BUDGET_MS }, retry: { limit: 0 }, throwHttpErrors: false };
  if (name === 'revalidated-gzip' || name === 'revalidated-identity') {
    const encoding = name === 'revalidated-gzip' ? 'gzip' : 'identity';
    const cache = new Map();
    const client = got.extend({ ...options, cache });
    const resource = `${url}/resource/${name}?encoding=${encoding}`;
    const first = await bounded(ctx, 'first', () => client.get(resource));
    if (!first.ok) return;
    await bounded(ctx, 'revalidate', () => client.get(resource));
  } else if (name === 'not-modified-gzip') {
    await bounded(ctx, 'not-modified', () => got.get(`${url}/not-modified/${name}?encoding=gzip`, options));
  } else {
    throw new Error(`unknown case ${name}`);
  }
});
