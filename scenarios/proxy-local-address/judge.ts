import { proxyView } from '../../harness/fixture-kit.ts';
import { findStep, fixed, ok200, outcomeOf, reproduced, serverSaw, unrecognised } from '../../harness/scenario-kit.ts';
import type { ClientReport, JudgeInput, Judgement } from '../../harness/types.ts';

/** The address every case binds its client to: loopback, but not the fixtures' own 127.0.0.1. */
export const LOCAL_ADDRESS = '127.0.0.2';
/** The measure's run-to-run spread: the peer address of a connection does not vary. */
const TOLERANCE = 0;
const STEPS = ['plain', 'tls'];

/** An IPv4 peer of a dual-stack socket is reported as ::ffff:a.b.c.d. */
const plain = (address: string | undefined): string | undefined => address?.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');

function failedStep(client: ClientReport): string | undefined {
  const steps = STEPS.map((n) => findStep(client, n));
  if (steps.every(ok200)) return undefined;
  return STEPS.map((n, i) => `${n}: ${outcomeOf(steps[i])}${steps[i]?.error ? ` (${steps[i]!.error!.message})` : ''}`).join('; ');
}

/**
 * direct: no proxy. Both origins (http:// and https://) must see the client's connections from 127.0.0.2.
 * One from another address is local_address ignored even without a proxy: `reproduced`.
 */
export function judgeDirect({ client, server }: JudgeInput): Judgement {
  const saw = `origin: ${serverSaw(server.origin)}; tls origin: ${serverSaw(server.tlsOrigin)}`;
  const failed = failedStep(client);
  if (failed) return unrecognised(`${failed}; ${saw}`);
  const connections = [...(server.origin?.connections ?? []), ...(server.tlsOrigin?.connections ?? [])];
  if (connections.length === 0) return unrecognised(`the origins recorded no connection of the client; ${saw}`);
  if (connections.some((c) => c.remoteAddress === undefined)) return unrecognised(`the origins did not record peer addresses; ${saw}`);
  const peers = connections.map((c) => plain(c.remoteAddress)!);
  const wrong = peers.filter((p) => p !== LOCAL_ADDRESS);
  if (wrong.length) {
    return {
      ...reproduced(`${wrong.length} of ${peers.length} direct connection(s) came from ${[...new Set(wrong)].join(', ')}, not local_address ${LOCAL_ADDRESS}; ${saw}`),
      measure: { what: 'connections from the wrong address', value: wrong.length, tolerance: TOLERANCE },
    };
  }
  return fixed(`${String(client.facts.transport ?? client.facts.manager ?? client.facts.adapter ?? '')}: all ${peers.length} connection(s) from ${LOCAL_ADDRESS}; ${saw}`);
}

/**
 * via-proxy: the forwarded http:// request and the CONNECT tunnel to https:// must both reach the proxy on
 * connections from 127.0.0.2. The proxy records each client connection's peer address; a proxy connection
 * from anywhere else is local_address dropped for proxies: `reproduced`, measured in such connections.
 * Requests that did not go through the proxy (nothing forwarded, no tunnel) say nothing: an error.
 */
export function judgeViaProxy({ client, server }: JudgeInput): Judgement {
  const proxy = proxyView(server.proxy);
  const saw = `proxy: ${serverSaw(server.proxy)}`;
  if (!proxy) return unrecognised(`the proxy recorded nothing; ${saw}`);
  const failed = failedStep(client);
  if (failed) return unrecognised(`${failed}; ${saw}`);
  const forwarded = proxy.exchanges.filter((e) => e.method !== 'CONNECT' && e.outcome === 'forwarded');
  const tunnels = proxy.exchanges.filter((e) => e.method === 'CONNECT' && e.outcome === 'tunnel' && e.tunnel?.used);
  if (!forwarded.length || !tunnels.length) {
    return unrecognised(
      `the requests did not both go through the proxy (${forwarded.length} forwarded, ${tunnels.length} tunnel(s) used): ` +
        `${proxy.exchanges.map((e) => `${e.requestLine} → ${e.outcome}`).join(', ') || 'no request'}; ${saw}`,
    );
  }
  const carrying = proxy.proxyConnections.filter((c) => c.exchanges.length > 0);
  const wrong = carrying.filter((c) => plain(c.peerAddress) !== LOCAL_ADDRESS);
  const described = carrying.map((c) => `#${c.connection} from ${plain(c.peerAddress)} (${c.exchanges.map((e) => e.method).join(', ')})`).join(', ');
  if (wrong.length) {
    return {
      ...reproduced(
        `${wrong.length} of ${carrying.length} proxy connection(s) came from ${[...new Set(wrong.map((c) => plain(c.peerAddress)))].join(', ')}, ` +
          `not local_address ${LOCAL_ADDRESS}: ${described}; ${saw}`,
      ),
      measure: { what: 'proxy connections from the wrong address', value: wrong.length, tolerance: TOLERANCE },
    };
  }
  return fixed(`every proxy connection from ${LOCAL_ADDRESS}: ${described}; ${saw}`);
}
