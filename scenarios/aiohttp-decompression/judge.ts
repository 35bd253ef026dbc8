// Judges of aiohttp's decompression, from both sides: what the client got and how far its memory rose (the
// contract's start_rss_kib / peak_rss_kib), and what the compression server sent (which body, how many bytes
// it flushed, who closed the connection). Three states, told apart by the two cases:
//   3.13.2 inflates each network read of the bomb whole (bomb reproduced, valid payload fixed);
//   3.13.3 refuses any network read that inflates past 32 MiB (bomb refused = fixed, but a valid 40 MiB
//          payload that arrives in one read is refused too: valid-payload reproduced);
//   3.14.0 streams both (fixed, fixed).
import type { SentResponse } from '../../fixtures/compression-server.ts';
import { compressionView } from '../../harness/fixture-kit.ts';
import { findStep, fixed, reproduced, unrecognised, type ClientStep, type JudgeInput, type Judgement } from '../../harness/scenario-kit.ts';

export const BOMB_INFLATED_MIB = 512;
/** What the client reads of the bomb, in 64 KiB reads (resp.content.read(65536)). */
export const BOMB_PREFIX_MIB = 1;
/**
 * Growth bound of a streamed read: 3.14.0 - 3.14.5 measured 0 - 1 MiB. The fixed releases' one refusal
 * (3.13.3: a read that inflates past its 32 MiB cap is an error) is bounded by the cap: +63 MiB measured,
 * under REFUSAL_BOUND_MIB.
 */
export const STREAM_BOUND_MIB = 64;
export const REFUSAL_BOUND_MIB = 96;
/**
 * A reproduction: growth of this much or more. 3.13.2 measured +124 - +216 MiB (one network read of the
 * compressed body, 64 - 256 KiB, inflates to 64 - 256 MiB, and StreamReader.read slices a copy of it):
 * far above 3.13.3's capped +63.
 */
export const INFLATED_MIB = REFUSAL_BOUND_MIB;
/** The valid payload: zeros, so the whole 40 MiB is one 40 KiB gzip body that arrives in one network read. */
export const VALID_INFLATED_MIB = 40;

const MiB = 1024 * 1024;
const mib = (kib: number): number => Math.round(kib / 1024);
/** What a release with a decompression cap says when a read goes past it (3.13.3: "Decompressed data exceeds the configured limit of 33554432 bytes"). */
const REFUSAL = /exceeds the configured limit|decompress/i;

function sentFor(responses: SentResponse[], step: string): SentResponse | undefined {
  return responses.find((r) => new URL(r.path, 'http://x').searchParams.get('step') === step);
}

function errorText(step: ClientStep | undefined): string {
  return step?.error ? `${step.error.type} (${step.error.kind}): ${step.error.message}` : '';
}

function refused(step: ClientStep | undefined): boolean {
  return Boolean(step && !step.ok && step.error && ['decode', 'protocol'].includes(step.error.kind ?? '') && REFUSAL.test(`${step.error.message} ${(step.error.chain ?? []).join(' ')}`));
}

function whoClosed(input: JudgeInput, response: SentResponse | undefined): string {
  const connection = input.server.zip?.connections.find((c) => c.id === response?.connection);
  const labels: Record<string, string> = { client: 'the client (FIN)', 'client-reset': 'the client (RST: it left bytes unread)', server: 'the server' };
  return labels[connection?.closedBy ?? ''] ?? 'nobody yet';
}

function sentText(input: JudgeInput, response: SentResponse | undefined): string {
  if (!response) return 'the server has no record of it';
  return `server sent ${response.bodyBytes} bytes (${response.contentEncoding.join(', ')}, ${response.framing}, inflating to ${Math.round(response.inflatedBytes / MiB)} MiB), flushed ${response.bytesFlushed}${response.complete ? ' (all)' : ''}; closed by ${whoClosed(input, response)}`;
}

function memory(input: JudgeInput): { start: number; peak: number } | undefined {
  const start = Number(input.client.facts.start_rss_kib);
  const peak = Number(input.client.facts.peak_rss_kib);
  return Number.isFinite(start) && Number.isFinite(peak) ? { start, peak } : undefined;
}

/**
 * The bomb: reproduced when memory grew INFLATED_MIB or more reading a 1 MiB prefix (whatever the read
 * returned); fixed when it streamed the 1 MiB of zeros under STREAM_BOUND_MIB, or refused the body with a
 * decompression-limit error under REFUSAL_BOUND_MIB (3.13.3's state: bounded, at the cost the valid-payload
 * case shows).
 */
export function judgeBomb(input: JudgeInput): Judgement {
  const rss = memory(input);
  if (!rss) return unrecognised('the client reported no memory high-water mark (start_rss_kib / peak_rss_kib)');
  const zip = compressionView(input.server.zip);
  if (!zip) return unrecognised('no compression server observations');
  const step = findStep(input.client, 'bomb');
  const sent = sentFor(zip.responses, 'bomb');
  const growth = mib(rss.peak - rss.start);
  const got = step?.ok ? `${step.decoded_bytes} bytes in ${step.chunks} read(s), largest ${step.largest_chunk}${step.all_zeros ? '' : ', NOT all zeros'}` : step ? errorText(step) : 'not run';
  const summary = `peak memory ${mib(rss.start)} -> ${mib(rss.peak)} MiB (+${growth} MiB); bomb: ${got}; ${sentText(input, sent)}`;
  if (!sent || sent.route !== 'bomb' || sent.inflatedBytes < BOMB_INFLATED_MIB * MiB) return unrecognised(`the server did not serve the ${BOMB_INFLATED_MIB} MiB bomb: ${summary}`);
  if (growth >= INFLATED_MIB) {
    return {
      ...reproduced(`reading ${BOMB_PREFIX_MIB} MiB of a ${BOMB_INFLATED_MIB} MiB gzip bomb inflated far more than was asked for (bound ${STREAM_BOUND_MIB} MiB): ${summary}`),
      measure: { what: 'MiB of peak memory growth reading 1 MiB of the bomb', value: growth, tolerance: 128 },
    };
  }
  if (step?.ok && step.status === 200 && Number(step.decoded_bytes) >= BOMB_PREFIX_MIB * MiB && step.all_zeros === true && growth < STREAM_BOUND_MIB) {
    return fixed(`streamed: the ${BOMB_PREFIX_MIB} MiB prefix read with memory bounded (< ${STREAM_BOUND_MIB} MiB): ${summary}`);
  }
  if (refused(step) && growth < REFUSAL_BOUND_MIB) {
    return fixed(`refused: the bomb was rejected by a decompression limit before it inflated whole (< ${REFUSAL_BOUND_MIB} MiB): ${summary}`);
  }
  return unrecognised(summary);
}

/**
 * The control: a valid 40 MiB gzip payload (zeros, 40 KiB on the wire), read whole with iter_chunked(64 KiB),
 * with Content-Length and chunked framing, against the standard library's inflate of the same bytes. Every
 * release must read it exactly; a release that refuses it (3.13.3's 32 MiB cap per network read) reproduces.
 */
export function judgeValidPayload(input: JudgeInput): Judgement {
  const { client } = input;
  const zip = compressionView(input.server.zip);
  if (!zip) return unrecognised('no compression server observations');
  const reference = findStep(client, 'reference');
  const expected = VALID_INFLATED_MIB * MiB;
  if (!reference?.ok || reference.complete !== true || reference.decoded_bytes !== expected) {
    return unrecognised(`the standard library's reference read did not give the ${VALID_INFLATED_MIB} MiB payload: ${reference?.ok ? `${reference.decoded_bytes} bytes` : errorText(reference) || 'not run'}`);
  }
  const judged = ['valid-length', 'valid-chunked'].map((name) => {
    const step = findStep(client, name);
    const sent = sentFor(zip.responses, name);
    const exact = Boolean(step?.ok && step.status === 200 && step.decoded_bytes === expected && step.sha256 === reference.sha256);
    const got = step?.ok
      ? `${step.decoded_bytes} bytes, sha256 ${step.sha256 === reference.sha256 ? 'equal to' : 'DIFFERENT from'} the reference, largest chunk ${step.largest_chunk}`
      : step
        ? `${errorText(step)} after ${step.decoded_bytes} bytes`
        : 'not run';
    return { name, step, sent, exact, text: `${name}: ${got}; ${sentText(input, sent)}` };
  });
  const summary = `reference ${reference.decoded_bytes} bytes sha256 ${String(reference.sha256).slice(0, 16)}...; ${judged.map((j) => j.text).join('; ')}`;
  if (judged.some((j) => !j.sent || j.sent.route !== 'valid' || j.sent.inflatedBytes !== expected)) return unrecognised(`the server did not serve the valid payload to every step: ${summary}`);
  // A refusal is a decode/protocol error; a timeout or a dropped connection is not the guard's doing.
  const broken = judged.filter((j) => (j.step?.ok && !j.exact) || ['decode', 'protocol'].includes(j.step?.error?.kind ?? ''));
  if (broken.length > 0) {
    return {
      ...reproduced(`a valid ${VALID_INFLATED_MIB} MiB gzip payload was refused or came out wrong: ${summary}`),
      measure: { what: 'valid payloads refused or corrupted', value: broken.length, tolerance: 0 },
    };
  }
  if (judged.every((j) => j.exact && j.sent!.complete)) return fixed(`the valid payload decoded exactly with both framings: ${summary}`);
  return unrecognised(summary);
}
