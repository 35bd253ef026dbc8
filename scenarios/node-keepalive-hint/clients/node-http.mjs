// nodejs/node#53458: two GETs on one http.Agent({keepAlive: true, timeout: 30000}); each request has a
// 'timeout' listener that aborts it, as the Agent docs ask ("the request must be destroyed manually") and as
// HTTP libraries on node:http install. No request.setTimeout(): that re-arms the socket's timer with its
// own value and hides what the Agent left on the reused socket (axios and got call it; they pass here).
import http from 'node:http';
import { run } from '@regress/contract';

const CASES = new Set(['slow-reuse-after-hint', 'slow-reuse-long-hint']);

/** One GET on the agent; resolves the response (body read) with the socket timeout the request found. */
function get(ctx, agent, url, seen) {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { agent, headers: ctx.withToken({}) }, (response) => {
      response.resume();
      response.on('end', () => resolve(response));
      response.on('error', reject);
    });
    request.on('socket', (socket) => {
      seen.socketTimeoutMs = socket.timeout ?? 0;
      seen.reusedSocket = request.reusedSocket;
    });
    request.on('timeout', () => {
      request.destroy(Object.assign(new Error(`socket idle: the request timed out (Agent timeout ${agent.options.timeout} ms)`), { code: 'ETIMEDOUT' }));
    });
    request.on('error', reject);
    request.end();
  });
}

await run(async (ctx) => {
  const { url, path, agentTimeoutMs } = ctx.input;
  if (!CASES.has(ctx.input.case)) throw new Error(`unknown case ${JSON.stringify(ctx.input.case)}`);
  const agent = new http.Agent({ keepAlive: true, timeout: agentTimeoutMs });
  await ctx.closing(agent, async () => {
    for (const [name, n] of [['first', 1], ['second', 2]]) {
      const seen = {};
      const step = await ctx.attempt(name, () => get(ctx, agent, `${url}${path}/${n}`, seen));
      Object.assign(step, seen, step.ok ? { keepAlive: step.response.headers['keep-alive'] ?? null } : {});
    }
  });
});
