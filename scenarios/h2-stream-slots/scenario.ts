// encode/httpcore#943: over HTTP/2, a response closed before the end of its stream must free the stream.
// httpcore releases its own stream semaphore but never resets the stream in h2's state machine (no
// RST_STREAM is sent), so h2 keeps counting it: after SETTINGS_MAX_CONCURRENT_STREAMS such responses the
// next request fails with "Max outbound streams is N, N open" while the server still holds N streams
// the client abandoned.
import { serveH2 } from '../../harness/h2-kit.ts';
import { defineScenario } from '../../harness/scenario-kit.ts';
import { judgeStreamSlots } from './judge.ts';

/** Small, so the failure comes after a few requests; see earlyCloses for the headroom rule. */
const MAX_CONCURRENT_STREAMS = 3;

export default defineScenario({
  meta: {
    id: 'h2-stream-slots',
    status: 'open-upstream',
    requires: { extras: { httpx: ['http2'], httpx2: ['http2'] } },
    title: 'HTTP/2: a response closed before its stream ends frees the stream slot (RST_STREAM)',
    upstream: {
      issue: 'https://github.com/encode/httpcore/issues/943',
      fix: [
        'https://github.com/encode/httpcore/pull/944 (closed unmerged)',
        'https://github.com/encode/httpcore/pull/1098 (open)',
      ],
    },
    seedClaim: { firstFixed: 'none: open upstream (httpcore <= 1.0.9; "still present on master" 2026-08)', source: 'https://github.com/encode/httpcore/issues/943 (open; https://github.com/encode/httpcore/pull/944 closed unmerged, https://github.com/encode/httpcore/pull/1098 open)' },
    measured: {
      lastBroken: 'httpx 0.28.1 (httpcore 1.0.9); httpx2 2.16.2 (httpcore2 2.16.2)',
      firstFixed: 'none released',
      note: 'open upstream: no httpcore or httpcore2 release resets an early-closed stream. The http2 extra is added to the spec by requires.extras; an image without h2 is not-applicable',
    },
    failureSignature:
      'after N early-closed responses the next request raises LocalProtocolError "Max outbound streams is N, N open"; the server saw the N streams never reset',
  },
  cases: [
    {
      name: 'early-close',
      summary: `${MAX_CONCURRENT_STREAMS} streaming responses closed after their first chunk (endless body), then 2 requests on the same HTTP/2 connection`,
      timeLimitMs: 20_000,
      unavoidableWaitMs: 0,
      setup: async ({ certs }) => {
        const set = await certs();
        return serveH2({ h2: { tls: set.trusted, maxConcurrentStreams: MAX_CONCURRENT_STREAMS } }, ({ h2 }) => ({
          url: h2!.url,
          caFile: set.ca.certPath,
          maxConcurrentStreams: MAX_CONCURRENT_STREAMS,
          // Exactly the limit: a client that leaks every closed stream has no slot left for the first
          // follow-up. A fixed client's requests are sequential, so the server never holds more than
          // the stream being reset plus the new one: the Node quirk in test/h2-fixture.test.ts (a stream
          // arriving with the reset that frees its slot, at the limit) cannot trip it.
          earlyCloses: MAX_CONCURRENT_STREAMS,
          followUps: 2,
          chunkEveryMs: 100,
          chunkSize: 1024,
        }));
      },
      judge: judgeStreamSlots,
    },
  ],
});
