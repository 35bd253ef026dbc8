// An 'error' event nobody listens for, after a recorded step: the process must still print its result
// (crashed, with the step), not die with a stack trace only.
import net from 'node:net';
import { run } from '@regress/contract';

await run(async (ctx) => {
  ctx.record('before', ctx.clock(), { ok: true });
  net.connect({ host: '127.0.0.1', port: Number(new URL(ctx.input.refusedUrl).port) });
  await new Promise((resolve) => setTimeout(resolve, 10_000));
});
