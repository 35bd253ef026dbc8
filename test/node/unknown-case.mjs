// An unknown case is the program's error (crashed), never not-applicable.
import { run } from '@regress/contract';

await run(async (ctx) => {
  throw new Error(`unknown case ${JSON.stringify(ctx.input.case)}`);
});
