import { receivedAt, redirectView } from '../../harness/fixture-kit.ts';
import { findStep, fixed, kindOf, outcomeOf, reproduced, unrecognised } from '../../harness/scenario-kit.ts';
import type { ClientStep, JudgeInput, Judgement } from '../../harness/types.ts';
import type { ReceivedRequest } from '../../fixtures/redirect-pair.ts';

// Every judge reads three sides: what A received and answered (the request must have reached A carrying
// what is under test, and A must have redirected it), what B received (the verdict), and the client's step
// (its status or exception, the landing JSON that answered it, the hops urllib3's Retry history kept).

/** `GET /landing/cookie (conn 1, 0 body bytes)`, for reasons. */
function shown(r: ReceivedRequest): string {
  return `${r.method} ${r.path} (conn ${r.connection}, ${r.body.bytes} body byte(s))`;
}

/** A's side: the redirect it answered, or why the case never got as far as B. */
function redirectAtA(input: JudgeInput, status: number): { at?: ReceivedRequest; problem?: string } {
  const atA = receivedAt(input.server.a, '/redirect');
  if (atA.length !== 1) return { problem: `A received ${atA.length} redirect request(s), expected 1` };
  const at = atA[0]!;
  if (at.answered?.status !== status || !at.answered.location) {
    return { problem: `A answered ${at.answered?.status ?? 'nothing'} to ${shown(at)}, expected ${status} with a Location` };
  }
  return { at };
}

function clientSide(step: ClientStep | undefined): string {
  if (!step) return 'the client reported no step';
  const answer = step.answer as { server?: string; method?: string; path?: string } | undefined;
  const from = answer?.server ? `, answered by ${answer.server.toUpperCase()} (${answer.method} ${answer.path})` : '';
  const hops = Array.isArray(step.hops) ? `, ${step.hops.length} redirect(s) followed` : '';
  const kind = !step.ok && step.error ? ` (${step.error.kind}: ${step.error.message.slice(0, 160)})` : '';
  return `client: ${outcomeOf(step)}${kind}${from}${hops}`;
}

function otherHostsSaw(input: JudgeInput): string {
  const seen = (name: 'a' | 'b'): number => redirectView(input.server[name])?.received.length ?? 0;
  return `A recorded ${seen('a')} request(s), B ${seen('b')}`;
}

/**
 * cookie / proxy-authorization: a GET to A carrying the header; A answers 302 to B. `reproduced` when B
 * received the header with the value the client gave A; `fixed` when B received the redirected GET without it.
 * A request at A without the header, or no request at B, is neither: the client never offered the header,
 * or never followed the redirect.
 */
export function judgeHeaderLeak(spec: { header: string; field: 'cookie' | 'proxyAuthorization'; secret: string }) {
  return (input: JudgeInput): Judgement => {
    const name = String(input.input.case);
    const step = findStep(input.client, name);
    const client = clientSide(step);
    const { at, problem } = redirectAtA(input, 302);
    if (!at) return unrecognised(`${problem}; ${client}; ${otherHostsSaw(input)}`);
    if (at[spec.field] !== spec.secret) {
      return unrecognised(`A received ${shown(at)} without the ${spec.header} the client was given; ${client}`);
    }
    const sideA = `A received ${spec.header}: ${spec.secret} on ${shown(at)} and answered 302 → ${at.answered!.location}`;
    const atB = receivedAt(input.server.b, `/landing/${name}`);
    if (atB.length === 0) return unrecognised(`${sideA}; B received nothing: the redirect was not followed; ${client}`);
    const leaked = atB.filter((r) => r[spec.field] !== undefined);
    if (leaked.length > 0) {
      const value = leaked[0]![spec.field];
      const same = value === spec.secret ? 'the value the client gave A' : `a different value (${value})`;
      return reproduced(`${sideA}; B, another origin, received ${spec.header}: ${value} (${same}) on ${leaked.map(shown).join(', ')}; ${client}`);
    }
    if (!step?.ok || step.status !== 200) return unrecognised(`${sideA}; B received ${atB.map(shown).join(', ')} without ${spec.header}, but ${client}`);
    return fixed(`${sideA}; B received ${atB.map(shown).join(', ')} with no ${spec.header} header; ${client}`);
  };
}

const CONTENT_HEADERS = ['content-length', 'content-type', 'transfer-encoding'];

/**
 * body-after-303: a POST with a form body to A; A answers 303 to B. Judged from the bytes B received on
 * the follow-up request: any body byte is `reproduced` (the reason names the bytes, the method and the
 * content headers that came with them); a GET with no body is `fixed`. A POST arriving at B without a body
 * is neither (the method was not changed, which is another failure).
 */
export function judgeBodyAfter303(secret: string) {
  return (input: JudgeInput): Judgement => {
    const name = String(input.input.case);
    const step = findStep(input.client, name);
    const client = clientSide(step);
    const { at, problem } = redirectAtA(input, 303);
    if (!at) return unrecognised(`${problem}; ${client}; ${otherHostsSaw(input)}`);
    if (at.method !== 'POST' || at.body.firstBytes !== secret) {
      return unrecognised(`A received ${shown(at)} (first bytes ${JSON.stringify(at.body.firstBytes)}), not the client's POST body; ${client}`);
    }
    const sideA = `A received POST with ${at.body.bytes} body bytes and answered 303 → ${at.answered!.location}`;
    const atB = receivedAt(input.server.b, `/landing/${name}`);
    if (atB.length === 0) return unrecognised(`${sideA}; B received nothing: the 303 was not followed; ${client}`);
    const headersOf = (r: ReceivedRequest): string =>
      r.headers.filter(([k]) => CONTENT_HEADERS.includes(k.toLowerCase())).map(([k, v]) => `${k}: ${v}`).join(', ') || 'no content headers';
    const withBody = atB.filter((r) => r.body.bytes > 0);
    if (withBody.length > 0) {
      const r = withBody[0]!;
      const same = r.body.sha256 === at.body.sha256 ? 'the same bytes A received' : `other bytes (${JSON.stringify(r.body.firstBytes)})`;
      return reproduced(
        `${sideA}; B, another origin, received ${r.method} ${r.path} with a ${r.body.bytes}-byte body, ${same} ` +
          `(${JSON.stringify(r.body.firstBytes)}; ${headersOf(r)}); ${client}`,
      );
    }
    const notGet = atB.filter((r) => r.method !== 'GET' && r.method !== 'HEAD');
    if (notGet.length > 0) return unrecognised(`${sideA}; B received ${notGet.map(shown).join(', ')}: the 303 did not turn the POST into a GET; ${client}`);
    if (!step?.ok || step.status !== 200) return unrecognised(`${sideA}; B received ${atB.map(shown).join(', ')}, but ${client}`);
    return fixed(`${sideA}; B received ${atB.map((r) => `${shown(r)} with ${headersOf(r)}`).join(', ')}; ${client}`);
  };
}

/** The PoolManager-level forms of GHSA-pq67-6m6q-mj2v and what each must do with A's 302 when redirects are off. */
const RETRY_FORMS = [
  { step: 'redirect-0', retries: 'Retry(redirect=0)', expected: 'raise MaxRetryError (too many redirects)' },
  { step: 'retries-0', retries: '0', expected: 'raise MaxRetryError (too many redirects)' },
  { step: 'retries-false', retries: 'False', expected: "return A's 302" },
] as const;

/**
 * retry-redirect-0: three PoolManagers, made with retries=Retry(redirect=0), retries=0 and retries=False,
 * each GET A, which answers 302 to B (a landing path per form). The verdict is whether B received a request
 * at all: any request is `reproduced` (the reason names the forms that followed). `fixed` needs B to have
 * received nothing and each client step to end as the advisory documents (MaxRetryError for the first two,
 * the 302 itself for False); anything else is neither.
 */
export function judgeRetryRedirect0(input: JudgeInput): Judgement {
  const atA = receivedAt(input.server.a, '/redirect');
  const parts: string[] = [];
  const followed: string[] = [];
  const odd: string[] = [];
  for (const form of RETRY_FORMS) {
    const step = findStep(input.client, form.step);
    const client = clientSide(step);
    const mine = atA.filter((r) => r.path.includes(`to=/landing/${form.step}`));
    if (mine.length !== 1 || mine[0]!.answered?.status !== 302) {
      return unrecognised(`retries=${form.retries}: A received ${mine.length} request(s) for it (answered ${mine[0]?.answered?.status ?? 'nothing'}), expected one answered 302; ${client}`);
    }
    const atB = receivedAt(input.server.b, `/landing/${form.step}`);
    if (atB.length > 0) {
      followed.push(`retries=${form.retries}`);
      parts.push(`retries=${form.retries}: A answered 302, B received ${atB.map(shown).join(', ')}; ${client}`);
      continue;
    }
    const asDocumented =
      form.step === 'retries-false' ? Boolean(step?.ok && step.status === 302) : !step?.ok && kindOf(step) === 'too-many-redirects';
    if (!asDocumented) odd.push(`retries=${form.retries} should ${form.expected}`);
    parts.push(`retries=${form.retries}: A answered 302, B received nothing; ${client}`);
  }
  const all = parts.join(' | ');
  if (followed.length > 0) return reproduced(`redirects followed although the PoolManager's retries forbid them (${followed.join(', ')}): ${all}`);
  if (odd.length > 0) return unrecognised(`B received nothing, but ${odd.join('; ')}: ${all}`);
  return fixed(`no redirect followed, B received nothing: ${all}`);
}
