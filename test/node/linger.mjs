// A keep-alive connection left open after the result: the process must still exit at once.
import http from 'node:http';
import { run, send } from '@regress/contract';

await run(async (ctx) => {
  const agent = new http.Agent({ keepAlive: true });
  await ctx.attempt('get', () => send(http, ctx.input.url, { agent, headers: ctx.withToken({}) }));
  await ctx.mark('linger');
  await ctx.gzipReference('reference', ctx.input.gzipUrl);
  await ctx.gzipReference('reference-cut', ctx.input.gzipCutUrl);
});
