import { compressionView } from '../../harness/fixture-kit.ts';
import { findStep, fixed, reproduced, unrecognised } from '../../harness/scenario-kit.ts';
import type { ClientStep, JudgeInput, Judgement } from '../../harness/types.ts';
import type { SentResponse } from '../../fixtures/compression-server.ts';

/** The depths asked for, in order: a 2-coding control, the first depth past undici's limit of 5, and 50. */
export const CHAIN_DEPTHS = [2, 6, 50];

/** undici's refusal (lib/web/fetch/index.js, from 6.23.0 / 7.18.0): "too many content-encodings in response: 50, maximum allowed is 5". */
const TOO_MANY = /too many content-encodings/i;

/** The server's record of the response a step asked for (the program tags each URL with step=<name>). */
function sentFor(responses: SentResponse[], step: string): SentResponse | undefined {
  return responses.find((r) => new URL(r.path, 'http://x').searchParams.get('step') === step);
}

function errorText(step: ClientStep): string {
  const error = step.error;
  if (!error) return '';
  return `${error.type}: ${error.message}${(error.chain ?? []).length ? ` <- ${error.chain!.join(' <- ')}` : ''}`;
}

type Outcome = 'decoded' | 'refused' | 'other';

/**
 * Two sides: the compression server's record of each chain it sent (its codings, its size on the wire), and
 * the client's step for it (decoded, with the depth the decoded JSON names, or the error). The control must
 * decode on every release, else a refusal says nothing. `reproduced` when any chain past the limit decoded
 * whole; `fixed` when every one was refused with undici's "too many content-encodings".
 */
export function judgeEncodingChain(input: JudgeInput): Judgement {
  const zip = compressionView(input.server.zip);
  if (!zip) return unrecognised('no compression server observations');
  const judged = CHAIN_DEPTHS.map((depth) => {
    const name = `chain-${depth}`;
    const step = findStep(input.client, name);
    const sent = sentFor(zip.responses, name);
    let outcome: Outcome = 'other';
    if (step?.ok && step.status === 200 && step.decoded_depth === depth) outcome = 'decoded';
    else if (step && !step.ok && TOO_MANY.test(errorText(step))) outcome = 'refused';
    const got = !step ? 'not run' : step.ok ? `${step.status}, decoded ${step.decoded_bytes} bytes (payload depth ${step.decoded_depth})` : `${step.error?.kind}: ${errorText(step).slice(0, 200)}`;
    const server = sent ? `server sent Content-Encoding with ${sent.contentEncoding.length} coding(s) in ${sent.bodyBytes} bytes` : 'the server has no record of it';
    return { depth, sent, outcome, text: `${name}: ${got}; ${server}` };
  });
  const summary = judged.map((j) => j.text).join('; ');
  if (judged.some((j) => !j.sent || j.sent.route !== 'chain' || j.sent.contentEncoding.length !== j.depth)) {
    return unrecognised(`the server did not serve every chain as asked: ${summary}`);
  }
  const [control, ...deep] = judged;
  if (control!.outcome !== 'decoded') return unrecognised(`the client could not decode the ${control!.depth}-coding control, so a refusal says nothing: ${summary}`);
  const decoded = deep.filter((j) => j.outcome === 'decoded');
  if (decoded.length > 0) {
    return {
      ...reproduced(`fetch undid every link of a ${decoded.map((j) => j.depth).join('- and ')}-coding chain: ${summary}`),
      measure: { what: 'Content-Encoding links decoded in one response', value: Math.max(...decoded.map((j) => j.depth)), tolerance: 0 },
    };
  }
  if (deep.every((j) => j.outcome === 'refused')) return fixed(`every chain longer than 5 codings was refused: ${summary}`);
  return unrecognised(summary);
}
