// The shared vocabulary of the harness: scenarios, cases, client results, server observations and verdicts.
import type { ServerObservations } from '../fixtures/connection-tracker.ts';
import type { SocketOwner } from '../fixtures/socket-owner.ts';
import type { CertificateSet } from '../certs/certificate-set.ts';

/** The four outcomes of one (scenario, case, client) run. */
export type Verdict = 'fixed' | 'reproduced' | 'not-applicable' | 'error';

/** What the real environment contains, read from the environment itself (never from the spec). */
export interface InstalledClient {
  /** The Python the client ran on; empty for an npm client. */
  python: string;
  /** The Node release an npm client ran on (20.20.2). */
  node?: string;
  openssl?: string;
  packages: Record<string, string | null>;
  /** Import name of the client under test (its family's `module`: `httpx`, `requests`, ...). */
  module: string;
  /** Where the client ran: `venv`, or `container <image>`. */
  runtime?: string;
  /** The spec that was installed, when a scenario's required extras changed it (`httpx[http2]==0.28.1`). */
  ranAs?: string;
  /** Local files the spec installed (wheels), by file name: their sha256. */
  files?: Record<string, string>;
  /** Set when `import <module>` failed in the client's environment: `ImportError: …`. */
  importError?: string;
  /** Set when the environment was installed from a lock file (`--requirements`): the file and its pins. */
  lock?: LockInfo;
}

/** A lock file a client was installed from (harness/lock-files.ts reads it through uv). */
export interface LockInfo {
  /** As given: a path, or git:REF:PATH. */
  file: string;
  format: 'requirements.txt' | 'pylock.toml' | 'uv.lock' | 'package-lock.json' | 'pnpm-lock.yaml';
  sha256: string;
  /** Every version the file pins for the interpreter under test (markers evaluated by uv). */
  pins: Record<string, string>;
  /** The client's dependency closure, installed from those pins. */
  closure: Record<string, string>;
}

/** One operation the client program performed, as it reports it. */
export interface ClientStep {
  name: string;
  ok: boolean;
  status?: number;
  /** Seconds since the client program started its scenario work. */
  startedAt: number;
  /** Seconds the step took. */
  elapsed: number;
  error?: ClientError;
  [extra: string]: unknown;
}

export interface ClientError {
  /** Public name where the client exports the class (`httpx.PoolTimeout`), else module.qualname. */
  type: string;
  /** The compat module's classification: pool-timeout, read-timeout, certificate, runtime, ... */
  kind: string;
  message: string;
  /** `type: message` of each __cause__/__context__ link, outermost first. */
  chain?: string[];
}

/** The single JSON line a client program prints (see harness/python/regress_compat.py). */
export interface ClientReport {
  status: 'ok' | 'not-applicable' | 'crashed';
  /** With `crashed`: `import` when the client under test could not be imported. */
  phase?: 'import' | 'scenario';
  reason?: string;
  steps: ClientStep[];
  facts: Record<string, unknown>;
  error?: ClientError;
}

/** What the harness saw of the client process. */
export interface ClientProcessOutcome {
  report?: ClientReport;
  exitCode: number | null;
  signal?: string | null;
  timedOut: boolean;
  durationMs: number;
  /** Milliseconds on the fixture clock when the process exited. */
  exitedAt: number;
  stderrTail: string;
  /** Set when stdout held no parseable report line. */
  outputProblem?: string;
}

/**
 * How badly a reproduction failed, as one number (every open-upstream judge gives one when it reproduces):
 * slots leaked, streams left open, requests stranded, connections dropped. Stable for a given release, so a
 * known-failures entry can accept a value and `diff` can tell a failure that got worse from the same one.
 */
export interface ReproductionMeasure {
  /** What is counted, plural noun phrase: `pool slots leaked`, `streams left open`. */
  what: string;
  value: number;
  /**
   * How far above an accepted (or the other side's) value a run may go and still be the same failure, in
   * the measure's own unit: the scenario's stated run-to-run spread, so no clean bump cries wolf.
   */
  tolerance: number;
}

export interface Judgement {
  verdict: Verdict;
  reason: string;
  /** With `reproduced`: how badly (see ReproductionMeasure). */
  measure?: ReproductionMeasure;
  /** Structured evidence a judge adds beyond the reason (smoke: the cause, handshake, API changes). */
  details?: Record<string, unknown>;
}

export interface Evidence {
  reason: string;
  client: {
    status?: ClientReport['status'];
    steps: ClientStep[];
    facts: Record<string, unknown>;
    exitCode: number | null;
    timedOut: boolean;
    stderrTail?: string;
    outputProblem?: string;
    error?: ClientError;
  };
  server: Record<string, ServerObservations>;
  /** Marks the client set on the fixture clock (fixtures/mark-server.ts). */
  marks?: Record<string, number>;
  /** The judge's structured details (Judgement.details), when it gave any. */
  details?: Record<string, unknown>;
  /** The judge's measure of a reproduction (Judgement.measure), when it gave one. */
  measure?: ReproductionMeasure;
}

export interface CaseResult {
  scenario: string;
  case: string;
  client: string;
  installed: InstalledClient | null;
  verdict: Verdict;
  evidence: Evidence;
  durationMs: number;
}

/** Everything a case's setup may use: per-run certificates and the case's own fixture clock. */
export interface SetupContext {
  certs: () => Promise<CertificateSet>;
}

/** A running fixture for one case: the client's input and how to read and stop the servers. */
export interface CaseFixture {
  /** Merged into the client program's JSON input. */
  input: Record<string, unknown>;
  /** Server observations by server name, taken after the client exits. */
  observe(): Record<string, ServerObservations>;
  /**
   * Called when the client process starts: from then on the servers count only connections this owner
   * holds (null when the runtime cannot say; the client token then decides).
   */
  admit(owner: SocketOwner | null): void;
  /** Marks the client set on the fixture clock. */
  marks(): Record<string, number>;
  /** Resolves when the servers know who every connection belonged to (observe after it). */
  settled(): Promise<void>;
  /** Milliseconds on the fixture clock (the clock the observations use). */
  now(): number;
  close(): Promise<void>;
}

export interface JudgeInput {
  client: ClientReport;
  server: Record<string, ServerObservations>;
  installed: InstalledClient;
  /** When the client process exited, on the fixture clock. */
  clientExitedAt: number;
  /** Marks the client set on the fixture clock before it exited (name → ms). */
  marks: Record<string, number>;
  input: Record<string, unknown>;
}

export interface CaseDefinition {
  name: string;
  summary: string;
  /** Hard limit for the client process; it is killed (whole process group) past this. */
  timeLimitMs: number;
  /**
   * The wait this case cannot avoid even on a fixed release (an idle gap, a slow response): the floor
   * the benchmark compares run times with.
   */
  unavoidableWaitMs: number;
  /**
   * Memory (MiB) a client may take in this case when the release is broken (a decompression bomb inflated
   * whole): the runner runs such cases only as many at once as fit in a quarter of the machine's memory, so a
   * matrix of broken releases cannot starve the machine and flip other cases' timings. Absent: a few MiB.
   */
  peakMemoryMiB?: number;
  /**
   * A control: what every release must do, broken or fixed (a guard that refuses valid data is a
   * reproduction there). `verify` requires it fixed on both sides instead of reproduced on the broken one.
   */
  control?: boolean;
  setup(ctx: SetupContext): Promise<CaseFixture>;
  judge(input: JudgeInput): Judgement;
}

/**
 * `historic`: fixed upstream, every recent release passes; a reproduction is a regression.
 * `open-upstream`: the family's newest release still fails; a reproduction on the release a team already
 * ships is a known failure (see `regress run --known`), not a new one.
 */
export type ScenarioStatus = 'historic' | 'open-upstream';

export interface ScenarioMeta {
  id: string;
  title: string;
  /**
   * Default `historic`. One status for every family the scenario covers, or one per family (a failure
   * fixed in one client can be open in another); a family left out of the record is `historic`.
   */
  status?: ScenarioStatus | Partial<Record<string, ScenarioStatus>>;
  /**
   * What the client under test needs installed beside it for this scenario, by family: extras added to
   * its own requirement (e.g. `{ extras: { httpx: ['http2'], httpx2: ['http2'] } }`). Results keep the
   * spec's own label; `installed` shows what ran.
   */
  requires?: { extras?: Partial<Record<string, string[]>> };
  upstream: { issue: string; fix: string[] };
  seedClaim: { firstFixed: string; source: string };
  measured: { lastBroken: string; firstFixed: string; note?: string };
  failureSignature: string;
}

export interface ScenarioDefinition {
  meta: ScenarioMeta;
  cases: CaseDefinition[];
}

/** A loaded scenario: its definition plus where its files live. */
export interface Scenario extends ScenarioDefinition {
  dir: string;
  /**
   * The scenario's client program per contract program name (`clients/httpx.py` → `httpx`, which httpx2
   * runs too): the families it covers. A folder with a single `client.py` (the layout before families)
   * is an httpx program.
   */
  programs: Record<string, string>;
  /**
   * The project's scenario folder it came from (`--scenarios DIR`, regress.config.json); absent for
   * regress's own catalogue. Commands never write into such a folder: it belongs to the project.
   */
  origin?: string;
}

export interface Expectation {
  case: string;
  client: string;
  verdict: Verdict;
  why: string;
}
