// undici's fetch() against a response whose Content-Encoding names the same coding many times
// (CVE-2026-22036, GHSA-g9mf-h72j-4rw9): before 6.23.0 / 7.18.0 fetch built one decoder per listed coding,
// however many; from then on a chain longer than 5 fails the fetch ("too many content-encodings in
// response: N, maximum allowed is 5").
//
// One GET per depth in input.depths (the first is a control every release must decode): the step records
// the status, the depth the decoded JSON names (the server's payload says how deep it was encoded) and the
// decoded size, or the error fetch rejected with.
//
// Every fetch names an Agent of the release under test, never the process's global dispatcher (on Node 22
// and later any ESM import of node:http installs Node's bundled undici there).
import { Agent, fetch } from 'undici';
import { run } from '@regress/contract';

await run(async (ctx) => {
  const { input } = ctx;
  if (input.case !== 'encoding-chain') throw new Error(`unknown case ${input.case}`);
  const dispatcher = new Agent();
  await ctx.closing(dispatcher, async () => {
    for (const depth of input.depths) {
      const name = `chain-${depth}`;
      const step = await ctx.attempt(name, async () => {
        const response = await fetch(`${input.chainUrl}&depth=${depth}&step=${name}`, {
          headers: ctx.withToken({}),
          dispatcher,
          signal: AbortSignal.timeout(15_000),
        });
        // The decoders run as the body is read: the refusal can come here as well as from fetch() itself.
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
});
