import type { H2Observations, StreamRecord } from '../../fixtures/h2-server.ts';
import { describeStream, h2View, streamsTo } from '../../harness/h2-kit.ts';
import { fixed, ok200, outcomeOf, reproduced, stepsStartingWith, unrecognised } from '../../harness/scenario-kit.ts';
import type { ClientStep, JudgeInput, Judgement } from '../../harness/types.ts';

/** h2's TooManyStreamsError, as httpcore raises it (LocalProtocolError) and httpx maps it. */
const TOO_MANY_STREAMS = /max outbound streams/i;

/**
 * A stream the client closed early is freed when the client reset it, or when the client dropped its
 * whole connection before the follow-ups reached the server. Anything else left the slot counted: the
 * stream stayed open on the server past the follow-ups (until the client finally closed the connection).
 * followUpsFrom is when the first follow-up stream opened on the fixture clock, undefined when none did.
 */
function freed(stream: StreamRecord, server: H2Observations, followUpsFrom: number | undefined): boolean {
  if (stream.outcome === 'reset-by-client' || stream.outcome === 'ended') return true;
  if (stream.outcome !== 'connection-closed' || followUpsFrom === undefined) return false;
  const session = server.sessions.find((s) => s.connection === stream.connection);
  return session?.closedAt !== undefined && session.closedAt <= followUpsFrom;
}

/** The measure's run-to-run spread with both cores busy (README, "Measure"): none. */
const TOLERANCE = 0;

/** A reproduction with how badly it failed: the early-closed streams the server saw never freed. */
function measured(streamsLeftOpen: number, reason: string): Judgement {
  return { ...reproduced(reason), measure: { what: 'streams left open', value: streamsLeftOpen, tolerance: TOLERANCE } };
}

function list(streams: StreamRecord[]): string {
  return streams.map(describeStream).join(', ') || 'none';
}

function h2ok(step: ClientStep | undefined): boolean {
  return ok200(step) && step?.httpVersion === 'HTTP/2';
}

export function judgeStreamSlots({ client, server, input }: JudgeInput): Judgement {
  const h2 = h2View(server.h2);
  if (!h2) return unrecognised('the server observations are not an HTTP/2 fixture\'s');
  const max = Number(input.maxConcurrentStreams);
  const earlyCount = Number(input.earlyCloses);
  const early = stepsStartingWith(client, 'early-');
  const after = stepsStartingWith(client, 'after-');
  if (early.length !== earlyCount || after.length !== Number(input.followUps)) {
    return unrecognised(`expected ${earlyCount} early-close and ${input.followUps} follow-up results, got ${early.length} and ${after.length}`);
  }
  // The fixture has no HTTP/1.1 fallback: a client that did not negotiate h2 says nothing about streams.
  if (h2.refusedNotH2 > 0) {
    return unrecognised(`the client did not negotiate h2 by ALPN (${h2.refusedNotH2} connection(s) refused): ${outcomeOf(early[0])}`);
  }
  const notH2 = [...early, ...after].find((s) => s.ok && s.httpVersion !== 'HTTP/2');
  if (notH2) return unrecognised(`${notH2.name} was answered over ${String(notH2.httpVersion)}, not HTTP/2`);

  const earlyStreams = streamsTo(h2, '/endless/');
  const badEarly = early.find((s) => !h2ok(s) || !(Number(s.bytesRead) > 0));
  if (badEarly) return unrecognised(`${badEarly.name}: ${outcomeOf(badEarly)} (${badEarly.error?.message ?? `${String(badEarly.bytesRead)} bytes`})`);
  if (earlyStreams.length !== earlyCount) {
    return unrecognised(`the server saw ${earlyStreams.length} early-close stream(s), expected ${earlyCount}`);
  }

  const afterStreams = streamsTo(h2, '/after-');
  const followUpsFrom = afterStreams[0]?.openedAt;
  const leaked = earlyStreams.filter((s) => !freed(s, h2, followUpsFrom));
  const peak = `peak ${h2.peakConcurrentStreams} concurrent stream(s) of SETTINGS_MAX_CONCURRENT_STREAMS=${max}`;

  const refused = after.find((s) => !s.ok && TOO_MANY_STREAMS.test(s.error?.message ?? ''));
  if (refused) {
    // Both sides: the client's h2 state counted the closed streams, and the server saw them never reset.
    if (leaked.length === earlyCount) {
      return measured(leaked.length,
        `${refused.name} raised ${refused.error!.type}: ${refused.error!.message}; the server saw the ${earlyCount} ` +
          `early-closed stream(s) never ended nor reset by the client: ${list(earlyStreams)}; ${peak}`,
      );
    }
    return unrecognised(`${refused.name} raised "${refused.error!.message}" although the server saw ${list(earlyStreams)}`);
  }

  const badAfter = after.find((s) => !h2ok(s));
  if (badAfter) return unrecognised(`${badAfter.name}: ${outcomeOf(badAfter)} (${badAfter.error?.message ?? ''}); early streams: ${list(earlyStreams)}`);
  const servedAfter = afterStreams.filter((s) => s.outcome === 'ended').length;
  if (servedAfter !== after.length) {
    return unrecognised(`the client got ${after.length} follow-up responses, the server ended ${servedAfter} follow-up stream(s)`);
  }
  if (leaked.length) {
    // The follow-ups worked (a client might open a fresh connection), but the closed streams were left
    // open on the server: the slots were never given back.
    return measured(
      leaked.length,
      `the follow-ups succeeded, but ${leaked.length} early-closed stream(s) were neither reset by the client nor ` +
        `closed with their connection before the follow-ups: ${list(leaked)}; ${peak}`,
    );
  }
  const codes = [...new Set(earlyStreams.map((s) => s.rstName ?? s.outcome))].join(', ');
  return fixed(
    `each of the ${earlyCount} early-closed stream(s) was freed (${list(earlyStreams)}; RST_STREAM code ${codes}); ` +
      `${after.length} follow-up(s) got 200 over HTTP/2 on connection(s) ${[...new Set(afterStreams.map((s) => s.connection))].join(', ')}; ${peak}`,
  );
}
