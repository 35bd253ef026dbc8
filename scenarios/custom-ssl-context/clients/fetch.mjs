// httpx #926's contract, for Node's global fetch. fetch takes no TLS options: a CA, a client certificate or a
// protocol floor of its own needs an undici Agent({ connect: { ... } }) passed as `dispatcher` (the undici
// family's program). What fetch can express is its default: legacy-server checks that fetch as it comes
// (Node's bundled roots, Node's TLS 1.2 floor) refuses a server offering only TLS 1.0/1.1. Every other case
// needs the run's CA and is not applicable.
import { NotApplicable, run } from '@regress/contract';

const NO_TLS_OPTIONS =
  "Node's global fetch takes no TLS options (no CA, client certificate or minimum version): they need an undici " +
  'Agent({ connect }) passed as dispatcher (the undici family)';

await run(async (ctx) => {
  const data = ctx.input;
  ctx.fact('openssl', process.versions.openssl);
  switch (data.case) {
    case 'legacy-server': {
      ctx.fact('ca_context', `none: ${NO_TLS_OPTIONS}; only fetch's default is checked`);
      // A handshake on loopback takes milliseconds: 5 s only bounds a hang.
      await ctx.attempt('default-context', async () => {
        const response = await fetch(`${data.url}/tls/default-context`, { headers: ctx.withToken({}), signal: AbortSignal.timeout(5_000) });
        await response.arrayBuffer();
        return response;
      });
      break;
    }
    case 'trusted-ca':
    case 'untrusted':
    case 'wrong-host':
    case 'expired':
    case 'mtls':
    case 'minimum-tls13':
      ctx.record('configure', ctx.clock(), { ok: false, unsupported: NO_TLS_OPTIONS });
      throw new NotApplicable(`${NO_TLS_OPTIONS}, so case ${data.case} (a context trusting the run's CA) cannot be expressed`);
    default:
      throw new Error(`unknown case ${JSON.stringify(data.case)}`);
  }
});
