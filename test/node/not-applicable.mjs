// A scenario the release cannot express: it records its configure step, then says so.
import { NotApplicable, run } from '@regress/contract';

await run(async (ctx) => {
  ctx.record('configure', ctx.clock(), { ok: false, unsupported: 'this release has no such option' });
  throw new NotApplicable('this release has no such option');
});
