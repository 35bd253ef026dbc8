// httpx #3441's contract, for Node's global fetch: not applicable. fetch takes no TLS options: turning
// verification off and presenting a client certificate both need an undici Agent({ connect }) passed as
// dispatcher (the undici family's program).
import { NotApplicable, run } from '@regress/contract';

await run(async (ctx) => {
  // Only this scenario's case is not applicable: another name is a program error, never not-applicable.
  if (ctx.input.case !== 'verify-false') throw new Error(`unknown case ${JSON.stringify(ctx.input.case)}`);
  const reason =
    "Node's global fetch takes no TLS options (no rejectUnauthorized, no client certificate): they need an undici " +
    'Agent({ connect }) passed as dispatcher (the undici family)';
  ctx.record('configure', ctx.clock(), { ok: false, unsupported: reason });
  throw new NotApplicable(`${reason}, so verification off with a client certificate cannot be expressed`);
});
