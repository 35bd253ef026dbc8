import { receivedAt, redirectView } from '../../harness/fixture-kit.ts';
import { findStep, fixed, outcomeOf, reproduced, unrecognised } from '../../harness/scenario-kit.ts';
import type { ClientStep, JudgeInput, Judgement } from '../../harness/types.ts';
import type { ReceivedRequest } from '../../fixtures/redirect-pair.ts';

// Three sides: what A received and answered (the request reached A carrying the header under test, and A
// redirected it), what B received (the verdict), and the client's step (status, the landing JSON that
// answered it, the URL follow-redirects ended on and how many redirects it followed).

/** What the client sends to A; distinctive, so the judge finds it in what B recorded and nowhere by chance. */
export const SECRETS = {
  cookie: 'regress_sid=cookie-secret-0155',
  proxyAuthorization: 'Basic cmVncmVzczpwcm94eS1zZWNyZXQtMjg4NDk=', // regress:proxy-secret-28849
} as const;

/** `GET /landing/cookie (conn 1)`, for reasons. */
function shown(r: ReceivedRequest): string {
  return `${r.method} ${r.path} (conn ${r.connection})`;
}

function clientSide(step: ClientStep | undefined): string {
  if (!step) return 'the client reported no step';
  const answer = step.answer as { server?: string; method?: string; path?: string } | undefined;
  const from = answer?.server ? `, answered by ${answer.server.toUpperCase()} (${answer.method} ${answer.path})` : '';
  const hops = typeof step.redirects === 'number' ? `, ${step.redirects} redirect(s) followed` : '';
  const kind = !step.ok && step.error ? ` (${step.error.kind}: ${step.error.message.slice(0, 160)})` : '';
  return `client: ${outcomeOf(step)}${kind}${from}${hops}`;
}

function bothSaw(input: JudgeInput): string {
  const seen = (name: 'a' | 'b'): number => redirectView(input.server[name])?.received.length ?? 0;
  return `A recorded ${seen('a')} request(s), B ${seen('b')}`;
}

/**
 * A GET to A carrying the header; A answers 302 to B. `reproduced` when B received the header (the reason
 * names its value and whether it is the one the client gave A); `fixed` when B received the redirected GET
 * without it and the client got B's 200. A request at A without the header, or nothing at B, is neither:
 * the client never offered the header, or never followed the redirect.
 */
export function judgeHeaderLeak(spec: { header: string; field: 'cookie' | 'proxyAuthorization'; secret: string }) {
  return (input: JudgeInput): Judgement => {
    const name = String(input.input.case);
    const step = findStep(input.client, name);
    const client = clientSide(step);
    const atA = receivedAt(input.server.a, '/redirect');
    if (atA.length !== 1) return unrecognised(`A received ${atA.length} redirect request(s), expected 1; ${client}; ${bothSaw(input)}`);
    const at = atA[0]!;
    if (at.answered?.status !== 302 || !at.answered.location) {
      return unrecognised(`A answered ${at.answered?.status ?? 'nothing'} to ${shown(at)}, expected 302 with a Location; ${client}`);
    }
    if (at[spec.field] !== spec.secret) return unrecognised(`A received ${shown(at)} without the ${spec.header} the client was given; ${client}`);
    const sideA = `A received ${spec.header}: ${spec.secret} on ${shown(at)} and answered 302 → ${at.answered.location}`;
    const atB = receivedAt(input.server.b, `/landing/${name}`);
    if (atB.length === 0) return unrecognised(`${sideA}; B received nothing: the redirect was not followed; ${client}`);
    const leaked = atB.filter((r) => r[spec.field] !== undefined);
    if (leaked.length > 0) {
      const value = leaked[0]![spec.field];
      const same = value === spec.secret ? 'the value the client gave A' : `a different value (${value})`;
      return reproduced(`${sideA}; B, another host, received ${spec.header}: ${value} (${same}) on ${leaked.map(shown).join(', ')}; ${client}`);
    }
    if (!step?.ok || step.status !== 200) return unrecognised(`${sideA}; B received ${atB.map(shown).join(', ')} without ${spec.header}, but ${client}`);
    return fixed(`${sideA}; B received ${atB.map(shown).join(', ')} with no ${spec.header} header; ${client}`);
  };
}
