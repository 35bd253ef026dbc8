// Node's built-in fetch (the undici inside the Node release) against the same chains as clients/undici.mjs:
// the release under test is the Node release. Node 18.20.8 bundles undici 5.29.0, which never got the limit;
// 20.20.2, 22.23.3 and 24.21.0 bundle 6.x / 7.x releases that have it.
import { run } from '@regress/contract';

await run(async (ctx) => {
  const { input } = ctx;
  if (input.case !== 'encoding-chain') throw new Error(`unknown case ${input.case}`);
  for (const depth of input.depths) {
    const name = `chain-${depth}`;
    const step = await ctx.attempt(name, async () => {
      const response = await fetch(`${input.chainUrl}&depth=${depth}&step=${name}`, { headers: ctx.withToken({}), signal: AbortSignal.timeout(15_000) });
      const text = await response.text();
      return { status: response.status, text };
    });
    if (step.ok) {
      step.decoded_bytes = Buffer.byteLength(step.response.text);
      try {
        step.decoded_depth = JSON.parse(step.response.text).depth;
      } catch {
        step.decoded_first_bytes = step.response.text.slice(0, 60);
      }
    }
  }
});
