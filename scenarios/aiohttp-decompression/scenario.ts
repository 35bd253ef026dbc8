// aiohttp GHSA-6mq8-rvhq-8wgg (CVE-2025-69223): the client's auto_decompress inflated each network read of a
// gzip body whole, however little the caller read: a ~530 KB bomb grows a 1 MiB reader by hundreds of MiB
// (3.13.2). 3.13.3 (#11898) capped each read's output at 32 MiB and refused anything over it, which also
// refuses a valid body that inflates past 32 MiB in one network read. 3.14.0 (#11966) streams: it inflates
// only as much as the reader's buffer takes, and carries on. One compression server per case.
import { compressionServer, serveFixtures } from '../../harness/fixture-kit.ts';
import { defineScenario } from '../../harness/scenario-kit.ts';
import { BOMB_INFLATED_MIB, BOMB_PREFIX_MIB, judgeBomb, judgeValidPayload, STREAM_BOUND_MIB, VALID_INFLATED_MIB } from './judge.ts';

const GHSA = 'https://github.com/aio-libs/aiohttp/security/advisories/GHSA-6mq8-rvhq-8wgg';

export default defineScenario({
  meta: {
    id: 'aiohttp-decompression',
    status: 'historic',
    title: 'aiohttp reads a bounded prefix of a gzip bomb with bounded memory, and still decodes a valid 40 MiB payload',
    upstream: {
      issue: GHSA,
      fix: [
        `${GHSA} (CVE-2025-69223): https://github.com/aio-libs/aiohttp/pull/11898, backported as https://github.com/aio-libs/aiohttp/pull/11918 (3.13.3: a 32 MiB cap per decompress call, over it an error)`,
        'https://github.com/aio-libs/aiohttp/pull/11966 "Allow decompression to continue after exceeding max_length", backported as https://github.com/aio-libs/aiohttp/pull/12355 (3.14.0: the decoder stops at what the reader wants and resumes)',
      ],
    },
    seedClaim: { firstFixed: '3.13.3', source: `${GHSA}: affected <= 3.13.2, patched 3.13.3` },
    measured: {
      lastBroken: '3.13.2 (bomb); 3.13.3 - 3.13.5 (valid payload refused)',
      firstFixed: '3.13.3 (bomb refused); 3.14.0 (both streamed)',
      note:
        'reading 1 MiB of a 512 MiB gzip bomb grows 3.13.2 by +124 to +216 MiB (not the ~290 MiB claimed), 3.13.3 refuses it at +63 MiB ' +
        '("Decompressed data exceeds the configured limit of 33554432 bytes"), 3.14.0 - 3.14.5 stream it at +0 - 1 MiB; ' +
        'a valid 40 MiB gzip payload of zeros (40 KiB on the wire, one network read) is refused by 3.13.3 with the same error and decodes exactly on 3.13.2 and 3.14.x',
    },
    failureSignature: 'the client inflates the bomb to hand back 1 MiB (peak memory up by over 96 MiB), or refuses a valid 40 MiB gzip payload',
  },
  cases: [
    {
      // First: the gate's leak repetition (harness/soak/gate-repeat.ts) repeats a scenario's first case that
      // fits its budget, and the bomb's judge needs the memory facts of a whole client process.
      name: 'valid-payload',
      summary: `a valid ${VALID_INFLATED_MIB} MiB gzip payload of zeros (40 KiB on the wire) read whole with iter_chunked(64 KiB), Content-Length and chunked framing, against the standard library's inflate of the same bytes`,
      timeLimitMs: 45_000,
      // Every release must read it exactly: `verify` wants it fixed on both sides; a release that refuses it reproduces.
      control: true,
      // 3.13.2 inflates the 40 MiB at once (+79 MiB measured).
      peakMemoryMiB: 256,
      unavoidableWaitMs: 0,
      setup: () =>
        serveFixtures({ zip: compressionServer() }, ({ zip }) => ({
          validUrls: {
            length: `${zip.url}/valid?size=${VALID_INFLATED_MIB}MiB&pattern=zeros&coding=gzip&framing=length`,
            chunked: `${zip.url}/valid?size=${VALID_INFLATED_MIB}MiB&pattern=zeros&coding=gzip&framing=chunked`,
          },
        })),
      judge: judgeValidPayload,
    },
    {
      name: 'bomb',
      summary: `gzip bomb (${BOMB_INFLATED_MIB} MiB of zeros, ~530 KB, Content-Length): resp.content.read(64 KiB) to ${BOMB_PREFIX_MIB} MiB; peak memory must grow < ${STREAM_BOUND_MIB} MiB (or the body be refused by a limit)`,
      // A broken release inflates 64 - 256 MiB per network read in 1 - 5 s on a loaded 2-core machine.
      timeLimitMs: 60_000,
      // 3.13.2 touched up to 216 MiB: the runner runs few of these at once (harness/runner.ts).
      peakMemoryMiB: 512,
      unavoidableWaitMs: 0,
      setup: () =>
        serveFixtures({ zip: compressionServer() }, ({ zip }) => ({
          bombUrl: `${zip.url}/bomb?size=${BOMB_INFLATED_MIB}MiB&coding=gzip&framing=length`,
          prefixBytes: BOMB_PREFIX_MIB * 1024 * 1024,
        })),
      judge: judgeBomb,
    },
  ],
});
