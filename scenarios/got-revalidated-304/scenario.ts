// got's HTTP cache and a revalidated response: the stored resource was gzipped and the server's 304 Not
// Modified says `Content-Encoding: gzip` as well (RFC 9110 lets a 304 carry the 200's header fields). got
// 12.5.0 - 14.4.9 never settle that request: no body, no error, and `timeout.request` never fires (got#2410,
// got#2317). The issue was closed by 14.4.9, which skips decompressing 304s and does not fix its reproducer;
// 14.5.0 does (2ab94fd4 "Fix hang on revalidated cached responses"). Two controls: the same revalidation
// without Content-Encoding, and the cache-less 304 with Content-Encoding that 14.4.9's own test checks.
import { revalidationServer, serveFixtures } from '../../harness/fixture-kit.ts';
import { defineScenario } from '../../harness/scenario-kit.ts';
import type { CaseFixture } from '../../harness/types.ts';
import { judgeNotModified, judgeRevalidation } from './judge.ts';

const ISSUE = 'https://github.com/sindresorhus/got/issues/2410';
const HANG_ISSUE = 'https://github.com/sindresorhus/got/issues/2317';

const server = (): Promise<CaseFixture> => serveFixtures({ origin: revalidationServer() }, (s) => ({ url: s.origin.url }));

export default defineScenario({
  meta: {
    id: 'got-revalidated-304',
    status: 'historic',
    title: "got's cache never settles a revalidated response whose 304 says Content-Encoding: gzip; timeout.request does not fire",
    upstream: {
      issue: ISSUE,
      fix: [
        `${ISSUE} closed by https://github.com/sindresorhus/got/commit/cc434bc5211145467e962a13a8e27eef5140d6e6 (14.4.9: no decompression for 1xx/204/205/304 and HEAD), which leaves the revalidated request hanging`,
        `${HANG_ISSUE} fixed by https://github.com/sindresorhus/got/commit/2ab94fd4daf6e6194ea79b810172b4e9466d3e39 "Fix hang on revalidated cached responses" (14.5.0: a cached ResponseLike is complete), with cacheable-request ^13 (a2341276)`,
      ],
    },
    seedClaim: { firstFixed: '14.4.9', source: `${ISSUE} (closed by cc434bc5, released in 14.4.9)` },
    measured: {
      lastBroken: '14.4.9 (broken from 12.5.0, the release that moved to cacheable-request 10)',
      firstFixed: '14.5.0',
      note: '14.4.9, the release that closed #2410, still hangs on the issue\'s own reproducer: its change (no decompression of a 304) only touches a 304 that reaches got as a 304, and 14.4.8 already passed that. The revalidated response reaches got as the stored 200 (a cacheable-request ResponseLike, complete undefined) with the 304\'s Content-Encoding. 12.0.0 - 12.4.1 (cacheable-request 7) return the stored body; 12.5.0 - 14.4.9 (cacheable-request 10 - 12) hang; 14.5.0 and later return it. Only with gzip: without Content-Encoding every release returns it. Same on Node 20, 22 and 24',
    },
    failureSignature: 'the server answered the conditional request 304 and the client had neither a body nor an error seconds later, past its own 2 s timeout.request',
  },
  cases: [
    {
      name: 'revalidated-gzip',
      summary: "GET a gzipped resource (ETag, Cache-Control: no-cache) into got's cache, GET it again: the server answers 304 with Content-Encoding: gzip; got must hand back the stored body",
      // The program stops waiting 6 s after the revalidation started: the limit leaves room for that and a slow start.
      timeLimitMs: 30_000,
      unavoidableWaitMs: 0,
      setup: server,
      judge: judgeRevalidation({ encoding: 'gzip' }),
    },
    {
      name: 'revalidated-identity',
      summary: 'the same revalidation without Content-Encoding (neither on the 200 nor on the 304): every release hands back the stored body',
      timeLimitMs: 30_000,
      unavoidableWaitMs: 0,
      control: true,
      setup: server,
      judge: judgeRevalidation({ encoding: 'identity' }),
    },
    {
      name: 'not-modified-gzip',
      summary: "one GET without a cache, answered 304 with Content-Encoding: gzip and no body (14.4.9's own test): every release returns the 304 with an empty body",
      timeLimitMs: 30_000,
      unavoidableWaitMs: 0,
      control: true,
      setup: server,
      judge: judgeNotModified,
    },
  ],
});
