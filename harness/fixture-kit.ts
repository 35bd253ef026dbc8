// What scenarios of the proxy, redirect and decompression families import beside scenario-kit.ts: one
// setup that starts servers of different kinds on one fixture clock (a forward proxy in front of a redirect
// pair, say), the builders for each kind, and readers of their observations. Kept apart from
// scenario-kit.ts, as h2-kit.ts is, so the kits change independently.
//
//   setup: () => serveFixtures(
//     { b: redirectServer({ partner: 'a' }), a: redirectServer({ partner: 'b' }), proxy: forwardProxy({ auth }) },
//     (s) => ({ proxy: s.proxy.urlWithCredentials, start: `${s.a.url}/redirect?status=307&to=/landing` }),
//   )
import { startCaseFixture, type TrackedServer } from '../fixtures/case-fixture.ts';
import type { Clock, ServerObservations } from '../fixtures/connection-tracker.ts';
import { type CompressionObservations, type CompressionServer, type CompressionServerOptions, startCompressionServer } from '../fixtures/compression-server.ts';
import { type ForwardProxy, type ForwardProxyOptions, type ProxyExchange, type ProxyObservations, startForwardProxy } from '../fixtures/forward-proxy.ts';
import { type HttpFixture, type HttpFixtureOptions, startHttpFixture } from '../fixtures/http-server.ts';
import { type Socks5Observations, type Socks5Proxy, type Socks5ProxyOptions, type Socks5Session, startSocks5Proxy } from '../fixtures/socks5-proxy.ts';
import { type ReceivedRequest, type RedirectObservations, type RedirectServer, type RedirectServerOptions, startRedirectServer } from '../fixtures/redirect-pair.ts';
import { type RevalidationObservations, type RevalidationServer, type RevalidationServerOptions, startRevalidationServer } from '../fixtures/revalidation-server.ts';
import { startUnixSocketServer, type UnixSocketObservations, type UnixSocketServer, type UnixSocketServerOptions } from '../fixtures/unix-socket-server.ts';
import type { CaseFixture } from './types.ts';

/**
 * Starts one server on the case's clock. `running` holds the servers started before it (by name) and, by
 * the time a client connects, all of them; `name` is its own name in the case.
 */
export type FixtureBuilder<S extends TrackedServer = TrackedServer> = (clock: Clock, running: Readonly<Record<string, TrackedServer>>, name: string) => Promise<S>;

type Started<B extends Record<string, FixtureBuilder>> = { [K in keyof B]: B[K] extends FixtureBuilder<infer S> ? S : never };

/**
 * Start named servers of any kinds, in the order given, on one fixture clock, and build the client's input
 * from them (marks and the client token as serveHttp gives them). If one fails to start, those already
 * listening are closed.
 */
export function serveFixtures<B extends Record<string, FixtureBuilder>>(servers: B, input: (running: Started<B>) => Record<string, unknown>): Promise<CaseFixture> {
  const running: Record<string, TrackedServer> = {};
  const named = Object.fromEntries(Object.entries(servers).map(([name, build]) => [name, { name, build }]));
  return startCaseFixture(
    named,
    async (clock, { name, build }) => (running[name] = await build(clock, running, name)),
    (all) => input(all as Started<B>),
  );
}

/** The fault server of serveHttp (fixtures/http-server.ts), as one of several kinds in a case. */
export function httpServer(options: HttpFixtureOptions): FixtureBuilder<HttpFixture> {
  return (clock) => startHttpFixture(clock, options);
}

/** A logging forward proxy (fixtures/forward-proxy.ts): absolute-form forwarding, CONNECT tunnels, Basic auth. */
export function forwardProxy(options: ForwardProxyOptions = {}): FixtureBuilder<ForwardProxy> {
  return (clock) => startForwardProxy(clock, options);
}

/** A logging SOCKS5 proxy (fixtures/socks5-proxy.ts): RFC 1928 CONNECT, no-auth or RFC 1929 username/password. */
export function socks5Proxy(options: Socks5ProxyOptions = {}): FixtureBuilder<Socks5Proxy> {
  return (clock) => startSocks5Proxy(clock, options);
}

/**
 * One server of a redirect pair (fixtures/redirect-pair.ts). `partner` names the other server in the same
 * serveFixtures call (it may start later: the name is looked up when a request arrives). Its own name is
 * the case's name for it unless `name` is given.
 */
export function redirectServer(options: Omit<RedirectServerOptions, 'partner'> & { partner?: string } = {}): FixtureBuilder<RedirectServer> {
  return (clock, running, name) => {
    const { partner, ...rest } = options;
    const partnerUrl = partner === undefined ? undefined : (): string | undefined => (running[partner] as { url?: string } | undefined)?.url;
    return startRedirectServer(clock, { name, ...rest, ...(partnerUrl ? { partner: partnerUrl } : {}) });
  };
}

/** The gzip bomb, decoder-chain and valid-payload server (fixtures/compression-server.ts). */
export function compressionServer(options: CompressionServerOptions = {}): FixtureBuilder<CompressionServer> {
  return (clock) => startCompressionServer(clock, options);
}

/** The validator server (fixtures/revalidation-server.ts): ETag, `Cache-Control: no-cache`, 304 to a matching If-None-Match. */
export function revalidationServer(options: RevalidationServerOptions = {}): FixtureBuilder<RevalidationServer> {
  return (clock) => startRevalidationServer(clock, options);
}

/** A UNIX-socket server in a per-run folder and a TCP front that redirects to it (fixtures/unix-socket-server.ts). */
export function unixSocketServer(options: UnixSocketServerOptions = {}): FixtureBuilder<UnixSocketServer> {
  return (clock) => startUnixSocketServer(clock, options);
}

/** The proxy's view of a server's observations, or undefined when the server is not a forward proxy. */
export function proxyView(server: ServerObservations | undefined): ProxyObservations | undefined {
  return (server as Partial<ProxyObservations> | undefined)?.kind === 'forward-proxy' ? (server as ProxyObservations) : undefined;
}

export function socks5View(server: ServerObservations | undefined): Socks5Observations | undefined {
  return (server as Partial<Socks5Observations> | undefined)?.kind === 'socks5-proxy' ? (server as Socks5Observations) : undefined;
}

/** The SOCKS5 proxy's sessions that asked for a CONNECT (whatever the proxy answered). */
export function socksConnectsOf(server: ServerObservations | undefined): Socks5Session[] {
  return (socks5View(server)?.sessions ?? []).filter((s) => s.command === 'connect');
}

export function redirectView(server: ServerObservations | undefined): RedirectObservations | undefined {
  return (server as Partial<RedirectObservations> | undefined)?.kind === 'redirect' ? (server as RedirectObservations) : undefined;
}

export function compressionView(server: ServerObservations | undefined): CompressionObservations | undefined {
  return (server as Partial<CompressionObservations> | undefined)?.kind === 'compression' ? (server as CompressionObservations) : undefined;
}

export function revalidationView(server: ServerObservations | undefined): RevalidationObservations | undefined {
  return (server as Partial<RevalidationObservations> | undefined)?.kind === 'revalidation' ? (server as RevalidationObservations) : undefined;
}

export function unixSocketView(server: ServerObservations | undefined): UnixSocketObservations | undefined {
  return (server as Partial<UnixSocketObservations> | undefined)?.kind === 'unix-socket' ? (server as UnixSocketObservations) : undefined;
}

/** Requests a redirect server received whose path starts with prefix. */
export function receivedAt(server: ServerObservations | undefined, prefix: string): ReceivedRequest[] {
  return (redirectView(server)?.received ?? []).filter((r) => r.path.startsWith(prefix));
}

/** The proxy's CONNECT exchanges (tunnels asked for, whatever the proxy answered). */
export function tunnelsOf(server: ServerObservations | undefined): ProxyExchange[] {
  return (proxyView(server)?.exchanges ?? []).filter((e) => e.method === 'CONNECT');
}
