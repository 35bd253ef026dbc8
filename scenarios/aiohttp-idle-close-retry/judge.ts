import { findStep, fixed, kindOf, ok200, outcomeOf, reproduced, requestsTo, serverSaw, unrecognised } from '../../harness/scenario-kit.ts';
import type { ClientStep, JudgeInput, Judgement } from '../../harness/scenario-kit.ts';

// aiohttp #7297. The server says how many times the second request arrived and on which connections: once on
// the kept-alive connection (read whole, closed unanswered), and, for a retry, again on a new connection. The
// client says what the request returned or raised.

type Seen = ReturnType<typeof requestsTo>;

function errorSaid(step: ClientStep | undefined): string {
  return step?.error ? ` (${step.error.type}, kind ${step.error.kind}: ${step.error.message})` : '';
}

/** The common premise: the warm-up served once, and the second request dropped unanswered on its connection. */
function premise({ client, server }: JudgeInput): { pooled: number; seen: Seen; said: string } | Judgement {
  const app = server.app;
  const warm = findStep(client, 'warm');
  const second = findStep(client, 'second');
  const warmSeen = requestsTo(app, '/idle/warm');
  const seen = [...requestsTo(app, '/idle/second')].sort((a, b) => a.at - b.at);
  const described = seen.map((r) => `#${r.connection} ${r.method} ${r.bodyBytes ?? '?'} byte(s) ${r.respondedAt !== undefined ? 'answered' : 'unanswered'}`).join('; ');
  const said = `warm: ${outcomeOf(warm)}; second: ${outcomeOf(second)}${errorSaid(second)}; the server received the second request ${seen.length} time(s)${described ? ` (${described})` : ''}; ${serverSaw(app)}`;
  if (!ok200(warm) || warmSeen.length !== 1) return unrecognised(`the warm-up was not served once: ${said}`);
  const pooled = warmSeen[0]!.connection;
  if (seen[0]?.connection !== pooled || seen[0].respondedAt !== undefined) {
    return unrecognised(`the second request did not reach the kept-alive connection #${pooled} and go unanswered: ${said}`);
  }
  return { pooled, seen, said };
}

export function judgeIdleCloseGet(input: JudgeInput): Judgement {
  const p = premise(input);
  if ('verdict' in p) return p;
  const second = findStep(input.client, 'second');
  const retries = p.seen.slice(1);
  if (ok200(second) && retries.length === 1 && retries[0]!.connection !== p.pooled && retries[0]!.respondedAt !== undefined) {
    return fixed(`the GET was retried once on a new connection (#${retries[0]!.connection}) and answered 200; ${p.said}`);
  }
  if (second && !second.ok && kindOf(second) === 'remote-disconnected' && retries.length === 0) {
    return reproduced(`the GET was not retried: the client raised as the kept-alive connection closed; ${p.said}`);
  }
  return unrecognised(p.said);
}

export function judgeIdleClosePost(input: JudgeInput): Judgement {
  const p = premise(input);
  if ('verdict' in p) return p;
  const second = findStep(input.client, 'second');
  if (p.seen.length > 1) {
    return reproduced(`the POST was replayed: the server received it ${p.seen.length} times (a duplicate side effect); ${p.said}`);
  }
  if (second && !second.ok && !second.cancelled) {
    return fixed(`the POST was not replayed: the server received it once, and the client raised; ${p.said}`);
  }
  return unrecognised(p.said);
}
