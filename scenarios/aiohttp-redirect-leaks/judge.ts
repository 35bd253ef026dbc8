import { receivedAt, redirectView } from '../../harness/fixture-kit.ts';
import { findStep, fixed, outcomeOf, reproduced, unrecognised } from '../../harness/scenario-kit.ts';
import type { ClientStep, JudgeInput, Judgement } from '../../harness/types.ts';
import type { ReceivedRequest } from '../../fixtures/redirect-pair.ts';

// Every judge reads three sides: what A received and answered (the request must have reached A carrying
// every secret under test, and A must have redirected it), what B received (the verdict: every header line
// as it came off the wire, duplicates included), and the client's step (status or exception, the landing
// JSON that answered it, the hops aiohttp followed).

function shown(r: ReceivedRequest): string {
  return `${r.method} ${r.path} (conn ${r.connection})`;
}

/** Every value of that header the request carried, one per header line (Node merges or drops duplicates in its parsed form). */
function valuesOf(r: ReceivedRequest, header: string): string[] {
  return r.headers.filter(([k]) => k.toLowerCase() === header.toLowerCase()).map(([, v]) => v);
}

function clientSide(step: ClientStep | undefined): string {
  if (!step) return 'the client reported no step';
  const answer = step.answer as { server?: string; method?: string; path?: string } | undefined;
  const from = answer?.server ? `, answered by ${answer.server.toUpperCase()} (${answer.method} ${answer.path})` : '';
  const hops = Array.isArray(step.hops) ? `, ${step.hops.length} redirect(s) followed` : '';
  const kind = !step.ok && step.error ? ` (${step.error.kind}: ${step.error.message.slice(0, 160)})` : '';
  return `client: ${outcomeOf(step)}${kind}${from}${hops}`;
}

function seen(input: JudgeInput): string {
  const count = (name: 'a' | 'b'): number => redirectView(input.server[name])?.received.length ?? 0;
  return `A recorded ${count('a')} request(s), B ${count('b')}`;
}

/**
 * A GET to A carrying `secrets` in `header` (one header line each, or one Cookie made from the request's
 * cookies=); A answers 302 to B, another origin. `reproduced` when B received any of the secrets in that
 * header; `fixed` when B received the redirected GET with none of them and the client got B's 200. A request
 * at A without every secret, or none at B, is neither: the client never offered them, or never followed.
 */
export function judgeLeak(spec: { header: string; secrets: readonly string[] }) {
  return (input: JudgeInput): Judgement => {
    const name = String(input.input.case);
    const step = findStep(input.client, name);
    const client = clientSide(step);
    const atA = receivedAt(input.server.a, '/redirect');
    if (atA.length !== 1) return unrecognised(`A received ${atA.length} redirect request(s), expected 1; ${client}; ${seen(input)}`);
    const at = atA[0]!;
    if (at.answered?.status !== 302 || !at.answered.location) return unrecognised(`A answered ${at.answered?.status ?? 'nothing'} to ${shown(at)}, expected 302 with a Location; ${client}`);
    const sentToA = valuesOf(at, spec.header);
    const missing = spec.secrets.filter((s) => !sentToA.some((v) => v.includes(s)));
    if (missing.length > 0) return unrecognised(`A received ${shown(at)} with ${spec.header} ${JSON.stringify(sentToA)}, without ${missing.join(', ')}: the client did not send what it was given; ${client}`);
    const sideA = `A received ${sentToA.length} ${spec.header} line(s) ${JSON.stringify(sentToA)} and answered 302 → ${at.answered.location}`;
    const atB = receivedAt(input.server.b, `/landing/${name}`);
    if (atB.length === 0) return unrecognised(`${sideA}; B received nothing: the redirect was not followed; ${client}`);
    const leaked = atB.flatMap((r) => valuesOf(r, spec.header).filter((v) => spec.secrets.some((s) => v.includes(s))).map((v) => ({ r, v })));
    if (leaked.length > 0) {
      return {
        ...reproduced(`${sideA}; B, another origin, received ${leaked.map(({ r, v }) => `${spec.header}: ${v} on ${shown(r)}`).join(', ')}; ${client}`),
        measure: { what: `${spec.header} lines with a secret that reached B`, value: leaked.length, tolerance: 0 },
      };
    }
    if (!step?.ok || step.status !== 200) return unrecognised(`${sideA}; B received ${atB.map(shown).join(', ')} without the secrets, but ${client}`);
    const other = atB.flatMap((r) => valuesOf(r, spec.header));
    return fixed(`${sideA}; B received ${atB.map(shown).join(', ')} with ${other.length ? `only ${spec.header} ${JSON.stringify(other)}` : `no ${spec.header} header`}; ${client}`);
  };
}
