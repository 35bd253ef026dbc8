import { revalidationView } from '../../harness/fixture-kit.ts';
import { findStep, fixed, reproduced, unrecognised } from '../../harness/scenario-kit.ts';
import type { ClientStep, JudgeInput, Judgement } from '../../harness/types.ts';
import type { RevalidationExchange } from '../../fixtures/revalidation-server.ts';

// Both sides of a revalidation: the server's exchanges (the first GET answered 200 with the resource, the
// conditional GET that names its ETag in If-None-Match, answered 304 at T on the fixture clock) and the
// client's steps (`first`, then `revalidate`: the body it handed back, an error, or `still-pending` with a
// mark on the fixture clock when the program stopped waiting).

/**
 * How long after the 304 a request that has not settled counts as hung: twice the program's 2 s
 * timeout.request, the longest a working got may take to give up. The program waits 6 s from the request's
 * start, so a hung release is marked about 6 s after a 304 that takes milliseconds; a loaded machine that
 * delays the 304 by a second still leaves the mark 5 s after it.
 */
export const HUNG_AFTER_MS = 4000;

function describeStep(step: ClientStep | undefined): string {
  if (!step) return 'no step';
  if (step.outcome === 'still-pending') return `still pending after ${Number(step.waited_ms) / 1000} s (no body, no error)`;
  if (!step.ok) return `${step.error?.type ?? 'error'} (${step.error?.kind}: ${step.error?.message?.slice(0, 160)}) after ${step.elapsed.toFixed(2)} s`;
  return `${step.status}${step.from_cache ? ' from the cache' : ''}, ${step.body_bytes} body bytes, after ${step.elapsed.toFixed(3)} s`;
}

function shown(e: RevalidationExchange): string {
  const inm = e.ifNoneMatch ? ` If-None-Match ${e.ifNoneMatch}` : '';
  const ce = e.answered.contentEncoding ? ` Content-Encoding: ${e.answered.contentEncoding}` : '';
  return `GET${inm} → ${e.answered.status}${ce} (${e.answered.bodyBytes} body bytes) at ${(e.answered.at / 1000).toFixed(3)} s`;
}

/**
 * `reproduced`: the server answered the conditional request 304 at T, and the revalidating request was still
 * pending at the program's mark, at least HUNG_AFTER_MS after T. `fixed`: it returned the stored body (200,
 * the resource's digest). Anything else (no conditional request, a timeout that fired, a wrong body) is
 * neither.
 */
export function judgeRevalidation(spec: { encoding: 'gzip' | 'identity' }) {
  return (input: JudgeInput): Judgement => {
    const name = String(input.input.case);
    const origin = revalidationView(input.server.origin);
    if (!origin) return unrecognised('the validator server recorded nothing');
    const resource = origin.resources[name];
    const exchanges = origin.exchanges.filter((e) => e.route === 'resource');
    const first = findStep(input.client, 'first');
    const again = findStep(input.client, 'revalidate');
    const said = `server: ${exchanges.map(shown).join('; ') || 'no request'}; client: first ${describeStep(first)}, revalidate ${describeStep(again)}`;
    if (!resource) return unrecognised(`the resource was never requested; ${said}`);
    if (!first?.ok || first.status !== 200 || first.body_sha256 !== resource.sha256) return unrecognised(`the first GET did not return the resource; ${said}`);
    const plain = exchanges.filter((e) => e.ifNoneMatch === undefined);
    if (plain.length !== 1 || plain[0]!.answered.status !== 200) return unrecognised(`the server did not answer exactly one unconditional GET with 200; ${said}`);
    const conditional = exchanges.filter((e) => e.ifNoneMatch !== undefined);
    if (conditional.length !== 1 || conditional[0]!.answered.status !== 304) {
      return unrecognised(`the client did not revalidate once (one GET with If-None-Match ${resource.etag}, answered 304); ${said}`);
    }
    const notModifiedAt = conditional[0]!.answered.at;
    const wantEncoding = spec.encoding === 'gzip' ? 'gzip' : undefined;
    if (conditional[0]!.answered.contentEncoding !== wantEncoding) return unrecognised(`the 304 was not the one this case sends; ${said}`);
    if (again?.outcome === 'still-pending') {
      const mark = input.marks['revalidate-still-pending'];
      if (mark === undefined) return unrecognised(`the client says it stopped waiting but set no mark; ${said}`);
      const after = mark - notModifiedAt;
      if (after < HUNG_AFTER_MS) return unrecognised(`the client stopped waiting ${(after / 1000).toFixed(2)} s after the 304, under the ${HUNG_AFTER_MS / 1000} s that count as hung; ${said}`);
      return {
        ...reproduced(
          `the server answered the revalidation 304 at ${(notModifiedAt / 1000).toFixed(3)} s; ${(after / 1000).toFixed(2)} s later the request had neither settled nor timed out (timeout.request ${Number(input.client.facts.timeout_request_ms ?? 2000) / 1000} s); ${said}`,
        ),
        measure: { what: 'revalidated requests left pending', value: 1, tolerance: 0 },
      };
    }
    if (again?.ok && again.status === 200 && again.body_sha256 === resource.sha256) {
      return fixed(`the stored body (${resource.bytes} bytes, sha256 ${resource.sha256.slice(0, 12)}…) came back after the 304 sent at ${(notModifiedAt / 1000).toFixed(3)} s; ${said}`);
    }
    return unrecognised(`the revalidated request neither returned the stored body nor stayed pending; ${said}`);
  };
}

/**
 * The control of 14.4.9's own test: a cache-less GET answered 304 with Content-Encoding: gzip and no body.
 * `fixed`: the client returned the 304 with an empty body. `reproduced`: it hung (still pending at least
 * HUNG_AFTER_MS after the 304) or failed decoding the body a 304 cannot have.
 */
export function judgeNotModified(input: JudgeInput): Judgement {
  const origin = revalidationView(input.server.origin);
  if (!origin) return unrecognised('the validator server recorded nothing');
  const exchanges = origin.exchanges.filter((e) => e.route === 'not-modified');
  const step = findStep(input.client, 'not-modified');
  const said = `server: ${exchanges.map(shown).join('; ') || 'no request'}; client: ${describeStep(step)}`;
  if (exchanges.length !== 1 || exchanges[0]!.answered.status !== 304) return unrecognised(`the server did not answer one GET with 304; ${said}`);
  const at = exchanges[0]!.answered.at;
  if (step?.outcome === 'still-pending') {
    const mark = input.marks['not-modified-still-pending'];
    if (mark !== undefined && mark - at >= HUNG_AFTER_MS) return reproduced(`the 304 went out at ${(at / 1000).toFixed(3)} s and the request was still pending ${((mark - at) / 1000).toFixed(2)} s later; ${said}`);
    return unrecognised(`the client stopped waiting too soon after the 304 to call it hung; ${said}`);
  }
  if (step && !step.ok && step.error?.kind === 'decode') return reproduced(`the client tried to decode the body of a 304; ${said}`);
  if (step?.ok && step.status === 304 && step.body_bytes === 0) return fixed(`the 304 came back with an empty body; ${said}`);
  return unrecognised(said);
}
