// Every kind the fetch contract maps, on the error the Node release's fetch really throws (see kinds-undici.mjs).
import { run, trustCa, Unsupported } from '@regress/contract';

await run(async (ctx) => {
  const started = ctx.clock();
  try {
    trustCa(ctx);
    ctx.record('configure', started, { ok: true });
  } catch (err) {
    if (!(err instanceof Unsupported)) throw err;
    ctx.record('configure', started, { ok: false, unsupported: err.message });
    // The TLS cases need the CA; the others run anyway (unknown-ca is then still a certificate error).
  }
  for (const [name, url] of Object.entries(ctx.input.cases)) {
    await ctx.attempt(name, async () => {
      const response = await fetch(url, { headers: ctx.withToken({}), signal: AbortSignal.timeout(ctx.input.timeoutMs) });
      await response.text();
      return response;
    });
  }
});
