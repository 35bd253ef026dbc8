import { findStep, fixed, ok200, outcomeOf, reproduced, requestsTo, serverSaw, unrecognised } from '../../harness/scenario-kit.ts';
import type { ClientStep, JudgeInput, Judgement } from '../../harness/types.ts';

// aiohttp #13329. The evidence is the bytes the server received: each PUT it saw, on which connection, with
// how many body bytes. The first PUT rides the kept-alive connection and is read whole, then the server closes
// that connection unanswered; anything after it is the client's retry. Silent data loss is a retry that
// carried fewer bytes than the file while the client reports success. A release that does not retry and
// raises (3.9, or 3.11's ValueError) loses nothing silently: the user sees the error.

function errorSaid(step: ClientStep | undefined): string {
  return step?.error ? ` (${step.error.type}, kind ${step.error.kind}: ${step.error.message})` : '';
}

export function judgeRetryEmptyBody({ client, server }: JudgeInput): Judgement {
  const app = server.app;
  const warm = findStep(client, 'warm');
  const put = findStep(client, 'put');
  const size = Number(put?.putBytes ?? Number.NaN);
  const warmSeen = requestsTo(app, '/retry/warm');
  const puts = [...requestsTo(app, '/retry/put')].sort((a, b) => a.at - b.at);
  const described = puts.map((r) => `#${r.connection}: ${r.bodyBytes ?? '?'} byte(s), ${r.respondedAt !== undefined ? 'answered' : 'unanswered'}`).join('; ');
  const steps = `warm: ${outcomeOf(warm)}; put: ${outcomeOf(put)}${errorSaid(put)}`;
  const saw = `PUTs the server received: ${described || 'none'}; ${serverSaw(app)}`;

  if (!ok200(warm) || warmSeen.length !== 1 || !Number.isFinite(size)) {
    return unrecognised(`the warm-up request was not served once: ${steps}; ${saw}`);
  }
  const pooled = warmSeen[0]!.connection;
  const first = puts[0];
  if (!first || first.connection !== pooled || first.bodyBytes !== size || first.respondedAt !== undefined) {
    // The premise: the PUT went out whole on the kept-alive connection and was dropped unanswered.
    return unrecognised(`the PUT did not arrive whole on the kept-alive connection #${pooled} and go unanswered: ${steps}; ${saw}`);
  }
  const retries = puts.slice(1);
  const short = retries.filter((r) => (r.bodyBytes ?? 0) < size);
  if (short.length > 0) {
    // The server received an upload shorter than the file: what it stores is wrong whatever the client says;
    // a client that reads 200 for it (the report) loses the data silently.
    const r = short[0]!;
    const client200 = ok200(put) ? 'the client read 200: the upload was lost silently' : `the client raised${errorSaid(put)}`;
    return reproduced(
      `the PUT's retry on connection #${r.connection} carried ${r.bodyBytes ?? 0} of its ${size} body bytes and was ` +
        `${r.respondedAt !== undefined ? 'answered' : 'not answered'} by the server; ${client200}; ${steps}; ${saw}`,
    );
  }
  if (ok200(put) && retries.length > 0 && retries.every((r) => r.bodyBytes === size && r.connection !== pooled)) {
    return fixed(`the PUT was retried on a new connection with all ${size} body bytes and answered 200; ${steps}; ${saw}`);
  }
  if (put && !put.ok && !put.cancelled && retries.every((r) => r.bodyBytes === size)) {
    return fixed(
      `no silent loss: the client raised instead of reporting success, and no short body reached the server ` +
        `(${retries.length} retr${retries.length === 1 ? 'y' : 'ies'}); ${steps}; ${saw}`,
    );
  }
  return unrecognised(`${steps}; ${saw}`);
}
