// The clients the harness knows: their import name, and the releases the client contract
// (harness/python/regress_compat.py) can drive. Older releases are reported not-applicable without
// running, and bisection starts inside this range unless told otherwise.
import { satisfies } from '@renovatebot/pep440';

export interface ClientKind {
  module: 'httpx' | 'httpx2';
  supported: string;
  why: string;
}

export const CLIENTS: Record<'httpx' | 'httpx2', ClientKind> = {
  httpx: {
    module: 'httpx',
    supported: '>=0.10.0',
    why: 'the contract needs httpx.AsyncClient with Timeout(connect/read/write/pool); releases before 0.10 lack one or the other',
  },
  httpx2: { module: 'httpx2', supported: '>=2.0.0', why: 'httpx2 releases start at 2.0.0 (0.0.0 is a placeholder)' },
};

/** Why an installed release is outside the contract, or null when it is inside. */
export function unsupportedReason(module: 'httpx' | 'httpx2', version: string | null | undefined): string | null {
  const kind = CLIENTS[module];
  if (!version) return `${module} is not installed in this environment`;
  return satisfies(version, kind.supported) ? null : `${module} ${version} is outside the client contract (${kind.supported}): ${kind.why}`;
}
