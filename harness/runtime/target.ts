// A client target is anything the scenarios can be run against: a client spec installed in a local
// environment (venv runtime), an image's own installed client (container runtime, canary), or a spec
// installed for a given Python inside a base image. The runner only sees this interface.
import type { SocketOwner } from '../../fixtures/socket-owner.ts';
import type { ClientProcessOutcome, InstalledClient } from '../types.ts';

export interface ClientRun {
  program: string;
  input: Record<string, unknown>;
  timeLimitMs: number;
  /** Fixture clock, so the exit time compares with server observations. */
  now: () => number;
  /** Told, before the client can connect anywhere, which processes are the client under test. */
  onStart?: (owner: SocketOwner | null) => void;
}

export interface PreparedClient {
  label: string;
  installed: InstalledClient;
  /** The client family under test (families/<id>/family.json). */
  family: string;
  /** Its import name. */
  module: string;
  /** True when preparing built something (an environment, an image); false when it came from a cache. */
  created: boolean;
  durationMs: number;
  /** Cases start from a warm worker (a fork, not a Python start): the runner staggers them less. */
  warm?: boolean;
  run(run: ClientRun): Promise<ClientProcessOutcome>;
}

export interface ClientTarget {
  /** The `client` of every result: a spec, or what identifies an image. */
  label: string;
  /** What tells prepared environments apart (default: the label); differs when extras were added. */
  key?: string;
  /**
   * The client family, when known before preparing (a spec names it); absent for an image's own client,
   * whose family is found when the image is probed.
   */
  family?: string;
  /**
   * The same client with extras added to its requirement (a scenario's `requires.extras`); absent when
   * the runtime cannot add any (an image's own client is what it is).
   */
  withExtras?(extras: string[]): ClientTarget;
  prepare(onProgress?: (message: string) => void): Promise<PreparedClient>;
  /**
   * Start what prepare() will need, if that costs no install (a cached environment's warm worker), and
   * return at once; prepare() then finds it started. The caller goes on loading scenarios meanwhile.
   */
  warmUp?(): void;
}
