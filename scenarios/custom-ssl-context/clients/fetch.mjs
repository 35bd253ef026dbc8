// httpx #926's contract, for Node's global fetch. fetch takes no TLS options of its own; what a program can do
// is change the process's TLS defaults, which fetch's built-in dispatcher uses: tls.setDefaultCACertificates
// (Node 22.19 / 24.5 and later; the contract's trustCa adds the run's CA to the default roots) and
// tls.DEFAULT_MIN_VERSION (the minVersion of every context made without one). So:
//
// * trusted-ca, untrusted, wrong-host, expired: fetch after trustCa; not applicable on a Node without
//   tls.setDefaultCACertificates (18, 20, 22 before 22.19).
// * minimum-tls13: tls.DEFAULT_MIN_VERSION = 'TLSv1.3' and the run's CA, where trustCa works.
// * legacy-server: fetch as it comes (Node's bundled roots, Node's TLS 1.2 floor), and after trustCa where it works.
// * mtls: not applicable: fetch cannot present a client certificate without an undici Agent({ connect })
//   passed as dispatcher (the undici family), and Node has no process default for one.
import tls from 'node:tls';
import { NotApplicable, Unsupported, run, trustCa } from '@regress/contract';

const NO_CLIENT_CERTIFICATE =
  "Node's global fetch takes no TLS options and Node has no process-wide client certificate: presenting one needs an " +
  'undici Agent({ connect: { cert, key } }) passed as dispatcher (the undici family)';

await run(async (ctx) => {
  const data = ctx.input;
  ctx.fact('openssl', process.versions.openssl);

  async function get(name, base = data.url) {
    // A handshake on loopback takes milliseconds: 5 s only bounds a hang.
    await ctx.attempt(name, async () => {
      const response = await fetch(`${base}/tls/${name}`, { headers: ctx.withToken({}), signal: AbortSignal.timeout(5_000) });
      await response.arrayBuffer();
      return response;
    });
  }

  /** trustCa, or not-applicable (with its configure step) on a Node that cannot give fetch a CA. */
  function trustRunCa() {
    const started = ctx.clock();
    try {
      trustCa(ctx);
    } catch (error) {
      if (!(error instanceof Unsupported)) throw error;
      ctx.record('configure', started, { ok: false, unsupported: error.message });
      throw new NotApplicable(`${error.message}, so case ${data.case} (fetch trusting the run's CA) cannot be expressed`);
    }
    ctx.fact('ca_context', "tls.setDefaultCACertificates([...default roots, <the run's CA>])");
  }

  switch (data.case) {
    case 'legacy-server':
      // The server offers only TLS 1.0/1.1: fetch's default must refuse it in the handshake, and so must fetch
      // trusting the run's CA where this Node can give it one.
      await get('default-context');
      if (typeof tls.setDefaultCACertificates === 'function') {
        trustRunCa();
        await get('ca-context');
      } else {
        ctx.fact('ca_context', `none: Node ${process.version} has no tls.setDefaultCACertificates; only fetch's default is checked`);
      }
      break;
    case 'minimum-tls13':
      trustRunCa();
      tls.DEFAULT_MIN_VERSION = 'TLSv1.3';
      ctx.fact('minimum_version', "tls.DEFAULT_MIN_VERSION = 'TLSv1.3'");
      await get('request');
      break;
    case 'mtls':
      ctx.record('configure', ctx.clock(), { ok: false, unsupported: NO_CLIENT_CERTIFICATE });
      throw new NotApplicable(`${NO_CLIENT_CERTIFICATE}, so mTLS cannot be expressed`);
    case 'wrong-host':
      trustRunCa();
      // The certificate names another host: refused by IP address (127.0.0.1) and by DNS name (localhost).
      await get('request');
      await get('request-dns', data.url.replace('127.0.0.1', 'localhost'));
      break;
    case 'trusted-ca':
    case 'untrusted':
    case 'expired':
      trustRunCa();
      await get('request');
      break;
    default:
      throw new Error(`unknown case ${JSON.stringify(data.case)}`);
  }
});
