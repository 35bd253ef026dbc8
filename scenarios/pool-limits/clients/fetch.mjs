// httpx #787's contract, for Node's global fetch: not applicable. fetch runs on Node's internal undici global
// dispatcher, whose pool has no connection limit, and fetch takes no option to set one: a limit needs an
// undici Agent({ connections }) passed as `dispatcher`, which is the undici family's program.
import { NotApplicable, run } from '@regress/contract';

await run(async (ctx) => {
  // Only this scenario's case is not applicable: another name is a program error, never not-applicable.
  if (ctx.input.case !== 'limits') throw new Error(`unknown case ${JSON.stringify(ctx.input.case)}`);
  const reason =
    "Node's global fetch has no connection limit to set: its built-in dispatcher opens as many connections as there are " +
    'requests, and limiting them needs undici.Agent({ connections }) as dispatcher (the undici family)';
  ctx.record('configure', ctx.clock(), { ok: false, unsupported: reason });
  throw new NotApplicable(`${reason}, so maxConnections=${ctx.input.maxConnections} cannot be expressed`);
});
