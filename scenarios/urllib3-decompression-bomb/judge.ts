// Judges of urllib3's decompression advisories, from both sides: what the client got and how far its memory
// rose (the contract's start_rss_kib / peak_rss_kib, and each step's hwm_kib), and what the compression
// server sent (which body, how many codings, how many bytes it flushed, who closed the connection).
import type { SentResponse } from '../../fixtures/compression-server.ts';
import { compressionView } from '../../harness/fixture-kit.ts';
import { findStep, fixed, reproduced, unrecognised, type ClientStep, type JudgeInput, type Judgement } from '../../harness/scenario-kit.ts';

/** What the bomb inflates to. Against the 64 MiB bound: a whole inflate overshoots it 8 times before any copy. */
export const BOMB_INFLATED_MIB = 512;
/**
 * Growth of the client's memory high-water mark, over its level when the scenario started, that a bounded
 * read stays under. 2.6.0 - 2.8.0 measured 1 - 4 MiB; 2.5.0 and 1.26.20 975 - 1039 MiB (the 512 MiB
 * inflated at once, plus the copy urllib3 makes of it).
 */
export const BOUND_MIB = 64;
/** 2 is the control (RFC 9110 allows a list of codings; every release must decode it); 10 and 100 overflow 2.6.0's limit of 5. */
export const CHAIN_DEPTHS = [2, 10, 100];
export const VALID_INFLATED_MIB = 40;

const MiB = 1024 * 1024;
const TOO_MANY = /too many content encodings/i;

const mib = (kib: number): number => Math.round(kib / 1024);

/** The server's record of the response a step asked for (the client tags each URL with step=<name>). */
function sentFor(responses: SentResponse[], step: string): SentResponse | undefined {
  return responses.find((r) => new URL(r.path, 'http://x').searchParams.get('step') === step);
}

function errorText(step: ClientStep | undefined): string {
  return step?.error ? `${step.error.type}: ${step.error.message}${(step.error.chain ?? []).length ? ` (${step.error.chain!.join(' <- ')})` : ''}` : '';
}

function whoClosed(input: JudgeInput, response: SentResponse | undefined): string {
  const connection = input.server.zip?.connections.find((c) => c.id === response?.connection);
  const labels: Record<string, string> = { client: 'the client (FIN)', 'client-reset': 'the client (RST: it left bytes unread)', server: 'the server' };
  return labels[connection?.closedBy ?? ''] ?? 'nobody yet';
}

function bombSent(input: JudgeInput, response: SentResponse | undefined): string {
  if (!response) return 'the server has no record of it';
  const early = response.clientClosedEarly ? `, the client left after ${response.flushedWhenClientGone} bytes` : '';
  return `server sent ${response.bodyBytes} bytes (${response.contentEncoding.join(', ')}, inflating to ${Math.round(response.inflatedBytes / MiB)} MiB), flushed ${response.bytesFlushed}${response.complete ? ' (all)' : ''}${early}; closed by ${whoClosed(input, response)}`;
}

/** A bounded read of the bomb the client makes (clients/urllib3.py BOMB_READS) and the decoded bytes it asks for. */
export interface BombRead {
  step: string;
  wants: number;
}

export const STREAM_64K: BombRead = { step: 'stream-64k', wants: MiB };
export const STREAM_16K: BombRead = { step: 'stream-16k', wants: MiB };
export const READ_1M: BombRead = { step: 'read-1m', wants: MiB };
export const READ_64K_DRAIN: BombRead = { step: 'read-64k-drain', wants: 64 * 1024 };

/**
 * The judge of a bomb case: fixed when the client's memory high-water mark grew less than BOUND_MIB over the
 * whole case and every read got the zeros it asked for; reproduced when it grew BOUND_MIB or more, whatever
 * the reads returned (a release that inflates the bomb and then fails still inflated it).
 */
export function judgeBombReads(reads: BombRead[]): (input: JudgeInput) => Judgement {
  return (input) => {
    const { client } = input;
    const start = Number(client.facts.start_rss_kib);
    const peak = Number(client.facts.peak_rss_kib);
    if (!Number.isFinite(start) || !Number.isFinite(peak)) return unrecognised('the client reported no memory high-water mark (start_rss_kib / peak_rss_kib)');
    const zip = compressionView(input.server.zip);
    if (!zip) return unrecognised('no compression server observations');
    const steps = reads.map((read) => ({ ...read, got: findStep(client, read.step), sent: sentFor(zip.responses, read.step) }));
    const growthKib = peak - start;
    const clauses = steps.map(({ step, got, sent }) => {
      const outcome = got?.ok
        ? `${got.decoded_bytes} bytes in ${got.chunks} chunk(s), largest ${got.largest_chunk}${got.all_zeros ? '' : ', NOT all zeros'}`
        : got
          ? errorText(got)
          : 'not run';
      const hwm = typeof got?.hwm_kib === 'number' ? `, memory +${mib(got.hwm_kib - start)} MiB by its end` : '';
      return `${step}: ${outcome}${hwm}; ${bombSent(input, sent)}`;
    });
    const summary = `peak memory ${mib(start)} -> ${mib(peak)} MiB (+${mib(growthKib)} MiB, bound ${BOUND_MIB}); ${clauses.join('; ')}`;

    const missing = steps.find((s) => !s.sent || s.sent.route !== 'bomb' || s.sent.inflatedBytes < BOMB_INFLATED_MIB * MiB);
    if (missing) return unrecognised(`the server did not serve the ${BOMB_INFLATED_MIB} MiB bomb to ${missing.step}: ${summary}`);

    if (growthKib >= BOUND_MIB * 1024) {
      return {
        ...reproduced(`reading at most 1 MiB of a ${BOMB_INFLATED_MIB} MiB gzip bomb inflated far more than was asked for: ${summary}`),
        // The peak counts the inflated bytes and urllib3's copies of them (about twice the bomb on 2.5.0 and
        // 1.26.20): the client cannot see urllib3's internal buffer, only its own memory.
        measure: { what: 'MiB of peak memory growth reading at most 1 MiB of the bomb', value: mib(growthKib), tolerance: 64 },
      };
    }
    const wrong = steps.find(({ got, wants }) => !got?.ok || got.status !== 200 || Number(got.decoded_bytes) < wants || got.all_zeros !== true);
    if (wrong) return unrecognised(`memory stayed bounded but ${wrong.step} did not read the ${wrong.wants} bytes of zeros it asked for: ${summary}`);
    return fixed(`every read of the bomb stayed bounded: ${summary}`);
  };
}

type ChainOutcome = 'decoded' | 'refused' | 'other';

export function judgeChain(input: JudgeInput): Judgement {
  const { client } = input;
  const zip = compressionView(input.server.zip);
  if (!zip) return unrecognised('no compression server observations');
  const judged = CHAIN_DEPTHS.map((depth) => {
    const name = `chain-${depth}`;
    const step = findStep(client, name);
    const sent = sentFor(zip.responses, name);
    let outcome: ChainOutcome = 'other';
    if (step?.ok && step.status === 200 && step.decoded_depth === depth) outcome = 'decoded';
    else if (step && !step.ok && step.error?.kind === 'decode' && TOO_MANY.test(`${step.error.message} ${(step.error.chain ?? []).join(' ')}`)) outcome = 'refused';
    const got = step?.ok ? `decoded ${step.decoded_bytes} bytes (payload depth ${step.decoded_depth})` : step ? errorText(step) : 'not run';
    const server = sent ? `server sent ${sent.contentEncoding.length} coding(s) in ${sent.bodyBytes} bytes; closed by ${whoClosed(input, sent)}` : 'the server has no record of it';
    return { depth, step, sent, outcome, text: `${name}: ${got} in ${Number(step?.cpu_s ?? 0).toFixed(3)} s CPU; ${server}` };
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
      ...reproduced(`the client undid every link of a ${decoded.map((j) => j.depth).join('- and ')}-coding chain: ${summary}`),
      measure: { what: 'Content-Encoding links decoded in one response', value: Math.max(...decoded.map((j) => j.depth)), tolerance: 0 },
    };
  }
  const closedByClient = (j: (typeof judged)[number]): boolean =>
    ['client', 'client-reset'].includes(zip.connections.find((c) => c.id === j.sent?.connection)?.closedBy ?? '');
  if (deep.every((j) => j.outcome === 'refused' && closedByClient(j))) {
    return fixed(`every chain longer than the limit was refused before decoding and its connection closed by the client: ${summary}`);
  }
  return unrecognised(summary);
}

export function judgeValidPayload(input: JudgeInput): Judgement {
  const { client } = input;
  const zip = compressionView(input.server.zip);
  if (!zip) return unrecognised('no compression server observations');
  const reference = findStep(client, 'reference');
  const expectedBytes = VALID_INFLATED_MIB * MiB;
  const referenceSent = sentFor(zip.responses, 'reference');
  if (!reference?.ok || reference.complete !== true || reference.decoded_bytes !== expectedBytes || referenceSent?.inflatedBytes !== expectedBytes) {
    return unrecognised(
      `the standard library's reference read did not give the ${VALID_INFLATED_MIB} MiB payload: ${reference?.ok ? `${reference.decoded_bytes} bytes, stream complete ${reference.complete}` : errorText(reference) || 'not run'}`,
    );
  }
  const judged = ['valid-length', 'valid-chunked'].map((name) => {
    const step = findStep(client, name);
    const sent = sentFor(zip.responses, name);
    const exact = Boolean(step?.ok && step.status === 200 && step.decoded_bytes === expectedBytes && step.sha256 === reference.sha256);
    const got = step?.ok
      ? `${step.decoded_bytes} bytes, sha256 ${step.sha256 === reference.sha256 ? 'equal to' : 'DIFFERENT from'} the reference, largest chunk ${step.largest_chunk}`
      : step
        ? `${errorText(step)} after ${step.decoded_bytes} bytes`
        : 'not run';
    const server = sent ? `server sent ${sent.bodyBytes} bytes ${sent.framing}${sent.complete ? ', all flushed' : `, flushed ${sent.bytesFlushed}`}` : 'the server has no record of it';
    return { name, step, sent, exact, text: `${name}: ${got}; ${server}` };
  });
  const summary = `reference ${reference.decoded_bytes} bytes sha256 ${String(reference.sha256).slice(0, 16)}...; ${judged.map((j) => j.text).join('; ')}`;
  if (judged.some((j) => !j.sent || j.sent.route !== 'valid' || j.sent.inflatedBytes !== expectedBytes)) {
    return unrecognised(`the server did not serve the valid payload to every step: ${summary}`);
  }
  // A refusal is a decode error (or a protocol error from a decoder that lost track of the framing); a
  // timeout or a dropped connection is not the guard's doing and proves nothing either way.
  const broken = judged.filter((j) => (j.step?.ok && !j.exact) || ['decode', 'protocol'].includes(j.step?.error?.kind ?? ''));
  if (broken.length > 0) {
    return {
      ...reproduced(`a valid gzip payload was refused or came out wrong: ${summary}`),
      measure: { what: 'valid payloads refused or corrupted', value: broken.length, tolerance: 0 },
    };
  }
  if (judged.every((j) => j.sent!.complete)) return fixed(`the valid payload decoded exactly with both framings: ${summary}`);
  return unrecognised(summary);
}
