// aiohttp #13329: when a kept-alive connection turns out closed, aiohttp retries an idempotent request once on
// a new connection (3.10.0, #7297). A PUT whose body is a file object was retried after the first attempt had
// read the file to its end: the retry sent Content-Length: 0 and no body, the server stored nothing, and the
// client saw 200. Fixed in 3.14.4 (the payload is rewound or rebuilt for the retry). The server answers the
// first request on a connection and closes the kept-alive connection once it has read the PUT (body whole),
// with no answer; the retry arrives on a new connection and is answered: its body's bytes are the evidence.
import { defineScenario, dropAfterFirst, serveHttp } from '../../harness/scenario-kit.ts';
import { judgeRetryEmptyBody } from './judge.ts';

/** The file's size: exact, so the server's byte count tells a whole body from a short or empty one. */
export const PUT_BYTES = 4321;

export default defineScenario({
  meta: {
    id: 'aiohttp-retry-empty-body',
    title: 'A PUT with a file-object body retried on a new connection sends the whole body again, never an empty one',
    status: { aiohttp: 'historic' },
    upstream: {
      issue: 'https://github.com/aio-libs/aiohttp/issues/13329',
      fix: ['https://github.com/aio-libs/aiohttp/pull/13330 (3.14.4)'],
    },
    seedClaim: {
      firstFixed: '3.14.4',
      source: 'https://github.com/aio-libs/aiohttp/issues/13329 (reported on 3.14.3), fixed by https://github.com/aio-libs/aiohttp/pull/13330 (3.14.4)',
    },
    measured: {
      lastBroken: '3.14.3',
      firstFixed: '3.14.4',
      note: "wider than claimed: 3.12.14 reproduces in every run, 3.10.0 - 3.11.18 in some (the file's close races the retry; otherwise ValueError: I/O operation on closed file); 3.12.0 raises that ValueError; 3.9.x does not retry",
    },
    failureSignature:
      'the server receives the PUT twice: the whole body on the kept-alive connection (closed unanswered), then 0 bytes on the retry; the client reads 200',
  },
  cases: [
    {
      name: 'file-body-put',
      summary: `GET on a fresh connection, then PUT with a ${PUT_BYTES}-byte file object on the kept-alive connection, which the server closes unanswered`,
      timeLimitMs: 20_000,
      unavoidableWaitMs: 0,
      setup: () =>
        // dropAfterFirst closes only after the PUT's last body byte is in, so the retry is the client's
        // answer to a closed kept-alive connection, never a race with its own upload.
        serveHttp({ app: { keepAliveTimeoutMs: 30_000, faults: { routes: { '/retry': dropAfterFirst('fin') } } } }, ({ app }) => ({
          url: app!.url,
          putBytes: PUT_BYTES,
        })),
      judge: judgeRetryEmptyBody,
    },
  ],
});
