// nodejs/node#53458 (open): a server's `Keep-Alive: timeout=N` hint replaces an http.Agent's own `timeout`
// on a kept-alive socket, and the replacement outlives the idle period it was meant for. Agent
// keepSocketAlive() (Node 19 and later) sets the free socket's timeout to N s minus a 1 s buffer when that is
// shorter than the Agent's `timeout`; reusing the socket does not set it back, so the next request on it
// times out after N - 1 s of waiting for its response, whatever `timeout` the Agent was built with.
// The server here says `Keep-Alive: timeout=2` (its keepAliveTimeout) and answers the second request on the
// same connection after 4 s; the Agent's timeout is 30 s, so a timeout before the answer is the hint's.
import { defineScenario, delay, serveHttp } from '../../harness/scenario-kit.ts';
import { judgeHint } from './judge.ts';

/** The slow answer, well past the hint's 1 s (2 s - the Agent's 1 s buffer) and far inside the Agent's 30 s. */
const SLOW_MS = 4000;
const AGENT_TIMEOUT_MS = 30_000;

const server = (keepAliveTimeoutMs: number, name: string) => () =>
  // keepAliveTimeout 2000 makes Node's server (the fixture's) send `Keep-Alive: timeout=2` on every response,
  // 60000 `timeout=60` (59 s after the buffer: longer than the Agent's 30 s, so the Agent keeps its own). The
  // server closes an idle connection only after its keepAliveTimeout, and the client sends its second
  // request at once, so the server never closes the connection under the test.
  serveHttp({ app: { keepAliveTimeoutMs, faults: { routes: { [`/hint/${name}/2`]: delay(SLOW_MS) } } } }, ({ app }) => ({
    url: app!.url,
    path: `/hint/${name}`,
    slowMs: SLOW_MS,
    agentTimeoutMs: AGENT_TIMEOUT_MS,
    hintSeconds: keepAliveTimeoutMs / 1000,
  }));

export default defineScenario({
  meta: {
    id: 'node-keepalive-hint',
    title: "A server's Keep-Alive: timeout=N hint overrides http.Agent's timeout on a reused socket: a slow response is aborted after N - 1 s",
    upstream: { issue: 'https://github.com/nodejs/node/issues/53458', fix: [] },
    seedClaim: {
      firstFixed: 'none (open); reported on Node 20.12.2',
      source: 'https://github.com/nodejs/node/issues/53458',
    },
    measured: {
      lastBroken: 'Node 26.10.0',
      firstFixed: 'none (Node 18.20.8 passes: its Agent never reads the hint)',
      note: 'Node 20.20.2 to 26.10.0 (each newest major) abort the reused request after 1.0 s; 18.20.8 waits for the 200 at 4 s',
    },
    failureSignature: 'the second request on the kept-alive socket times out after about 1 s (hint 2 s - 1 s) although the Agent says 30 s',
    status: { 'node-http': 'open-upstream' },
  },
  cases: [
    {
      name: 'slow-reuse-after-hint',
      summary: `Keep-Alive: timeout=2 on the first response; the second request on the same socket is answered after ${SLOW_MS / 1000} s; Agent timeout ${AGENT_TIMEOUT_MS / 1000} s`,
      timeLimitMs: 30_000,
      unavoidableWaitMs: SLOW_MS,
      setup: server(2000, 'slow-reuse-after-hint'),
      judge: judgeHint,
    },
    {
      name: 'slow-reuse-long-hint',
      summary: `control: the same with Keep-Alive: timeout=60 (longer than the Agent's ${AGENT_TIMEOUT_MS / 1000} s): the second request waits for its answer at ${SLOW_MS / 1000} s`,
      timeLimitMs: 30_000,
      unavoidableWaitMs: SLOW_MS,
      control: true,
      setup: server(60_000, 'slow-reuse-long-hint'),
      judge: judgeHint,
    },
  ],
});
