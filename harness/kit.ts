// `regress/kit`: what a project's own scenario folders import from the regress package (package.json
// `exports`): the scenario kit (server setup, verdict helpers, readers of steps and observations), the
// HTTP/2 kit, defineSentinels for a folder's sentinels.ts, and the types a TypeScript scenario names.
// Installed, it resolves to dist/harness/kit.js (+ kit.d.ts); a scenario loaded by a checkout of regress
// gets the checkout's kit.ts (harness/kit-resolution.ts).
export * from './scenario-kit.ts';
export * from './h2-kit.ts';
export { defineSentinels } from './sentinels/definition.ts';
export type { Edit, Sentinel, SentinelSpec, SentinelVariant } from './sentinels/definition.ts';
export type {
  CaseDefinition,
  CaseFixture,
  ClientError,
  ClientReport,
  ClientStep,
  JudgeInput,
  Judgement,
  ScenarioDefinition,
  ScenarioMeta,
  ScenarioStatus,
  SetupContext,
  Verdict,
} from './types.ts';
export type { ConnectionRecord, RequestRecord, ServerObservations } from '../fixtures/connection-tracker.ts';
export type { HttpFixture, HttpFixtureOptions, TlsServerOptions } from '../fixtures/http-server.ts';
export type { H2Fixture, H2FixtureOptions, H2Observations, StreamRecord } from '../fixtures/h2-server.ts';
export * from './fixture-kit.ts';
export type { CompressionObservations, CompressionServer, CompressionServerOptions, SentResponse } from '../fixtures/compression-server.ts';
export type { ForwardProxy, ForwardProxyOptions, ProxyAuth, ProxyConnection, ProxyExchange, ProxyObservations, TunnelRecord } from '../fixtures/forward-proxy.ts';
export type { Socks5Auth, Socks5Observations, Socks5Outcome, Socks5Proxy, Socks5ProxyOptions, Socks5Session } from '../fixtures/socks5-proxy.ts';
export type { ReceivedBody, ReceivedRequest, RedirectObservations, RedirectServer, RedirectServerOptions } from '../fixtures/redirect-pair.ts';
