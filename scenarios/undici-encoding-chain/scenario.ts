// CVE-2026-22036 (GHSA-g9mf-h72j-4rw9): undici's fetch() decoded a response's Content-Encoding chain however
// long it was, one decompressor per listed coding: a header of a few hundred bytes naming `gzip` thousands of
// times costs the client a decoder each (memory and CPU out of all proportion to the response). nodejs/undici
// #4729 caps the chain at 5 and fails the fetch beyond it: 6.23.0 and 7.18.0.
import { compressionServer, serveFixtures } from '../../harness/fixture-kit.ts';
import { defineScenario } from '../../harness/scenario-kit.ts';
import { CHAIN_DEPTHS, judgeEncodingChain } from './judge.ts';

const ADVISORY = 'https://github.com/nodejs/undici/security/advisories/GHSA-g9mf-h72j-4rw9';
const PR = 'https://github.com/nodejs/undici/pull/4729';

export default defineScenario({
  meta: {
    id: 'undici-encoding-chain',
    status: 'historic',
    title: "undici's fetch refuses a Content-Encoding chain longer than 5 codings instead of decoding every link",
    upstream: { issue: ADVISORY, fix: [`${PR} "fix(decompress): limit Content-Encoding chain to 5" (6.23.0, 7.18.0)`] },
    seedClaim: { firstFixed: '6.23.0; 7.18.0', source: `${ADVISORY} (CVE-2026-22036), ${PR}` },
    measured: {
      lastBroken: '6.22.0; 7.17.0',
      firstFixed: '6.23.0; 7.18.0',
      note: 'the limit is 5 codings: 6 is the first depth refused. Node\'s built-in fetch (the fetch family): 18.20.8 (undici 5.29.0), 21.7.3 and 23.11.1 decode the 50-coding chain; 20.20.2, 22.23.3, 24.21.0, 25.9.0 and 26.10.0 refuse it',
    },
    failureSignature: 'fetch returns 200 with the payload of a 50-coding `Content-Encoding: gzip, gzip, ...` chain, every link decoded',
  },
  cases: [
    {
      name: 'encoding-chain',
      summary: `fetch() of a small JSON payload gzipped ${CHAIN_DEPTHS.join(', ')} times (Content-Encoding: gzip, gzip, ...); 2 is the control`,
      timeLimitMs: 30_000,
      unavoidableWaitMs: 0,
      setup: () =>
        serveFixtures({ zip: compressionServer() }, ({ zip }) => ({
          chainUrl: `${zip.url}/chain?coding=gzip&headers=list`,
          depths: CHAIN_DEPTHS,
        })),
      judge: judgeEncodingChain,
    },
  ],
});
