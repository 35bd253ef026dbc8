// urllib3 GHSA-2xpw-w6gg-jr37 (CVE-2025-66471): the streaming API inflated a small read of a highly
// compressed body whole, however little the caller asked for; and GHSA-gm62-xv2j-4w53 (CVE-2025-66418):
// any number of stacked Content-Encodings was decoded. Both fixed in urllib3 2.6.0 (decoders take a
// max_length; at most 5 codings). That fix left two holes the same bomb finds: read_chunked() (fixed in
// 2.6.2, #3736) and drain_conn() (GHSA-mf9v-mfxr-j63j, 2.7.0). One compression server per case
// (fixtures/compression-server.ts): it streams the bomb from one cached MiB segment, so it holds about
// 1 MiB however large the bomb inflates.
import { compressionServer, serveFixtures } from '../../harness/fixture-kit.ts';
import { defineScenario } from '../../harness/scenario-kit.ts';
import {
  BOMB_INFLATED_MIB,
  type BombRead,
  BOUND_MIB,
  CHAIN_DEPTHS,
  judgeBombReads,
  judgeChain,
  judgeValidPayload,
  READ_1M,
  READ_64K_DRAIN,
  STREAM_16K,
  STREAM_64K,
  VALID_INFLATED_MIB,
} from './judge.ts';

const GHSA_STREAM = 'https://github.com/urllib3/urllib3/security/advisories/GHSA-2xpw-w6gg-jr37';
const GHSA_CHAIN = 'https://github.com/urllib3/urllib3/security/advisories/GHSA-gm62-xv2j-4w53';

/** The bomb server of a case, and the reads the client makes of it (by step name, in order). */
function bomb(framing: 'length' | 'chunked', reads: BombRead[]) {
  return serveFixtures({ zip: compressionServer() }, ({ zip }) => ({
    bombUrl: `${zip.url}/bomb?size=${BOMB_INFLATED_MIB}MiB&coding=gzip&framing=${framing}`,
    bombReads: reads.map((r) => r.step),
  }));
}

export default defineScenario({
  meta: {
    id: 'urllib3-decompression-bomb',
    title: 'A streamed read of a gzip bomb stays bounded, a long Content-Encoding chain is refused, a valid payload still decodes',
    upstream: {
      issue: GHSA_STREAM,
      fix: [
        `${GHSA_STREAM} (CVE-2025-66471; merged from the private fork as https://github.com/urllib3/urllib3/commit/c19571de34c47de3a766541b041637ba5f716ed7, 2.6.0)`,
        `${GHSA_CHAIN} (CVE-2025-66418; https://github.com/urllib3/urllib3/commit/24d7b67eac89f94e11003424bcf0d8f7b72222a8, 2.6.0)`,
        'https://github.com/urllib3/urllib3/pull/3736 (read_chunked hands out the decoder\'s leftover before reading on, 2.6.2; issue https://github.com/urllib3/urllib3/issues/3734)',
        'https://github.com/urllib3/urllib3/security/advisories/GHSA-mf9v-mfxr-j63j (drain_conn() after a partial read, 2.7.0)',
      ],
    },
    seedClaim: { firstFixed: '2.6.0', source: `${GHSA_STREAM} and ${GHSA_CHAIN}: affected < 2.6.0, patched 2.6.0` },
    measured: {
      lastBroken: '2.5.0 (and 1.26.20, the last 1.26 release); chunked bodies 2.6.1; drain_conn() 2.6.3',
      firstFixed: '2.6.0 (Content-Length reads, chains); 2.6.2 (chunked); 2.7.0 (drain_conn)',
      note:
        'reading 1 MiB of a 512 MiB gzip bomb grows 2.5.0 and 1.26.20 by about 1 GiB (the inflated bomb and a copy), 2.6.0 - 2.8.0 by a few MiB; ' +
        'with chunked framing 2.6.0 - 2.6.1 still inflate the rest of the bomb at the end of the body (a 511 MiB chunk out of stream(16 KiB)); ' +
        'drain_conn() after read(64 KiB) inflates the rest on every release up to 2.6.3; ' +
        'a 10- or 100-coding chain decodes on 2.5.0 / 1.26.20 and is refused with "Too many content encodings in the chain" from 2.6.0; ' +
        'a valid 40 MiB gzip payload decodes exactly on every release measured',
    },
    failureSignature: 'the client inflates the whole bomb to hand back 1 MiB (peak memory up by hundreds of MiB), or decodes every link of a 10- or 100-coding chain',
  },
  cases: [
    {
      // First: the gate's leak repetition (harness/soak/gate-repeat.ts) repeats a scenario's first cheap case
      // 8 times, and this is the one that costs milliseconds on every release (the bomb costs seconds on a
      // broken one).
      name: 'encoding-chain',
      summary: `a small JSON payload gzipped ${CHAIN_DEPTHS.join(', ')} times (Content-Encoding: gzip, gzip, ...); 2 is the control`,
      timeLimitMs: 30_000,
      unavoidableWaitMs: 0,
      setup: () =>
        serveFixtures({ zip: compressionServer() }, ({ zip }) => ({
          chainUrl: `${zip.url}/chain?coding=gzip&headers=list`,
          depths: CHAIN_DEPTHS,
        })),
      judge: judgeChain,
    },
    {
      name: 'streamed-bomb',
      summary: `gzip bomb (${BOMB_INFLATED_MIB} MiB of zeros, ~530 KB, Content-Length): stream(64 KiB) up to 1 MiB, then one read(1 MiB); peak memory must grow < ${BOUND_MIB} MiB`,
      // A broken release inflates the bomb (1 GiB touched) in 3 - 10 s on a loaded 2-core machine.
      timeLimitMs: 60_000,
      // A broken release touches about 1 GiB: the runner runs few of these at once (harness/runner.ts).
      peakMemoryMiB: 1536,
      unavoidableWaitMs: 0,
      setup: () => bomb('length', [STREAM_64K, READ_1M]),
      judge: judgeBombReads([STREAM_64K, READ_1M]),
    },
    {
      // The 2.6.0 fix bounded each chunk's output of read_chunked() but left the rest in the decoder, and
      // flushed it all at the body's end: fixed in 2.6.2 (#3736).
      name: 'streamed-bomb-chunked',
      summary: `the same bomb with Transfer-Encoding: chunked: stream(16 KiB) up to 1 MiB, then one read(1 MiB); peak memory must grow < ${BOUND_MIB} MiB`,
      timeLimitMs: 60_000,
      // A broken release touches about 1 GiB: the runner runs few of these at once (harness/runner.ts).
      peakMemoryMiB: 1536,
      unavoidableWaitMs: 0,
      setup: () => bomb('chunked', [STREAM_16K, READ_1M]),
      judge: judgeBombReads([STREAM_16K, READ_1M]),
    },
    {
      // GHSA-mf9v-mfxr-j63j: drain_conn() after a partial read decoded the rest of the body, fixed in 2.7.0.
      name: 'drain-after-partial-read',
      summary: `the same bomb (Content-Length): read(64 KiB), then drain_conn(); peak memory must grow < ${BOUND_MIB} MiB`,
      timeLimitMs: 60_000,
      // A broken release touches about 1 GiB: the runner runs few of these at once (harness/runner.ts).
      peakMemoryMiB: 1536,
      unavoidableWaitMs: 0,
      setup: () => bomb('length', [READ_64K_DRAIN]),
      judge: judgeBombReads([READ_64K_DRAIN]),
    },
    {
      name: 'valid-payload',
      summary: `a valid ${VALID_INFLATED_MIB} MiB gzip text payload streamed with stream(64 KiB), Content-Length and chunked framing, against the standard library's inflate of the same bytes`,
      timeLimitMs: 45_000,
      // Every release must read it exactly: `verify` wants it fixed on both sides.
      control: true,
      unavoidableWaitMs: 0,
      setup: () =>
        serveFixtures({ zip: compressionServer() }, ({ zip }) => ({
          validUrls: {
            length: `${zip.url}/valid?size=${VALID_INFLATED_MIB}MiB&coding=gzip&framing=length`,
            chunked: `${zip.url}/valid?size=${VALID_INFLATED_MIB}MiB&coding=gzip&framing=chunked`,
          },
        })),
      judge: judgeValidPayload,
    },
  ],
});
