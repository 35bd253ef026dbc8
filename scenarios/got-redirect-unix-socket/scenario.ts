// got follows a redirect onto a UNIX domain socket (CVE-2022-33987, GHSA-pfrx-2q88-qq97, got#2047): any
// server a program asks can send it to `http://unix:/var/run/docker.sock:/...` and read the answer. Fixed in
// 11.8.5 and 12.1.0 (861ccd9a: `Cannot redirect to UNIX socket`). The socket lives in a folder of the run's
// own (mkdtemp, removed after the case); the socket's request log is the server side of the verdict.
import { serveFixtures, unixSocketServer } from '../../harness/fixture-kit.ts';
import { defineScenario } from '../../harness/scenario-kit.ts';
import type { CaseFixture } from '../../harness/types.ts';
import { judgeDirect, judgeRedirect } from './judge.ts';

const ADVISORY = 'https://github.com/advisories/GHSA-pfrx-2q88-qq97';
const PR = 'https://github.com/sindresorhus/got/pull/2047';

const servers = (): Promise<CaseFixture> => serveFixtures({ internal: unixSocketServer() }, (s) => ({ front: s.internal.url, socketPath: s.internal.socketPath }));

export default defineScenario({
  meta: {
    id: 'got-redirect-unix-socket',
    status: 'historic',
    title: 'got follows a redirect to a UNIX domain socket (CVE-2022-33987): a remote server reaches a local-only socket',
    upstream: {
      issue: PR,
      fix: [
        `${PR} "Disable redirects to UNIX sockets" (https://github.com/sindresorhus/got/commit/861ccd9ac2237df762a9e2beed7edd88c60782dc), released in 12.1.0 and backported to 11.8.5; advisory ${ADVISORY}`,
      ],
    },
    seedClaim: { firstFixed: '11.8.5 / 12.1.0', source: `${PR} (CVE-2022-33987: < 11.8.5 and 12.0.0 - 12.0.4 follow the redirect)` },
    measured: {
      lastBroken: '11.8.3 (11.8.4 was never published) and 12.0.4',
      firstFixed: '11.8.5 and 12.1.0',
      note: 'From 12.2.0 got has `enableUnixSockets` (default true in 12.x, false from 13.0.0); the program sets it where it exists, so the redirect guard is measured on its own: with it set, 12.2.0 - 16.2.0 still refuse the redirect and reach the socket directly',
    },
    failureSignature: "the UNIX socket (reachable only on this machine) received the redirected GET /admin and the client got its 200 'internal-secret'",
  },
  cases: [
    {
      name: 'redirect-to-unix-socket',
      summary: "GET a 127.0.0.1 server that answers 302 to http://unix:<socket>:/admin: the socket must not be reached",
      timeLimitMs: 20_000,
      unavoidableWaitMs: 0,
      setup: servers,
      judge: judgeRedirect,
    },
    {
      name: 'direct-unix-socket',
      summary: 'GET http://unix:<socket>:/direct (enableUnixSockets where the release has it): every release reaches the socket',
      timeLimitMs: 20_000,
      unavoidableWaitMs: 0,
      control: true,
      setup: servers,
      judge: judgeDirect,
    },
  ],
});
