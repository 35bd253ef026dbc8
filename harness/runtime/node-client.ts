// Runs one client program of an npm family: `<node> --import harness/node/register.mjs PROGRAM.mjs`, the
// case's JSON on stdin, one `REGRESS-RESULT {json}` line out, in its own process group with a hard time
// limit (the same contract as the Python programs). One Node process per case: its sockets are its own, so
// the fixtures tell the client under test from any other process by its process id.
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { processOwner } from '../../fixtures/socket-owner.ts';
import { contractFile, family } from '../families.ts';
import type { ClientProcessOutcome } from '../types.ts';
import { clientHome, processOutcome } from './client-process.ts';
import { runInProcessGroup } from './process-group.ts';
import type { ClientRun } from './target.ts';

/** harness/node: the resolve hooks and the contract core every npm family's contract builds on. */
export const NODE_CONTRACT_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'node');
export const REGISTER_HOOKS = join(NODE_CONTRACT_DIR, 'register.mjs');

/**
 * Only what a Node program needs. Nothing that changes TLS trust, routing or the runtime reaches the client:
 * NODE_EXTRA_CA_CERTS (the project's machines export it), NODE_TLS_REJECT_UNAUTHORIZED, NODE_OPTIONS (it
 * could preload anything), *_PROXY / NO_PROXY (axios and undici's EnvHttpProxyAgent read them), SSL_CERT_*.
 * HOME is regress's own empty folder, so no ~/.npmrc or ~/.netrc of the user's is read.
 */
export function nodeClientEnvironment(familyId: string, envDir: string, base: { HOME: string; TMPDIR: string } = { HOME: clientHome(), TMPDIR: process.env.TMPDIR ?? '/tmp' }): Record<string, string> {
  const f = family(familyId);
  return {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: base.HOME,
    LANG: 'C.UTF-8',
    TMPDIR: base.TMPDIR,
    REGRESS_CLIENT_ENV: envDir,
    REGRESS_CLIENT_CONTRACT: contractFile(f),
    REGRESS_CLIENT_MODULE: f.module,
    REGRESS_CLIENT_PROGRAM: f.contract.program,
    REGRESS_REPORTED: f.reported.join(' '),
  };
}

export interface NodeProgramRun extends ClientRun {
  /** The Node binary of the release the client runs on. */
  node: string;
  /** The folder whose node_modules holds the client release (bare imports resolve from it). */
  envDir: string;
  family: string;
}

export async function runNodeProgram(run: NodeProgramRun): Promise<ClientProcessOutcome> {
  const result = await runInProcessGroup(run.node, ['--import', pathToFileURL(REGISTER_HOOKS).href, run.program], {
    input: JSON.stringify(run.input),
    env: nodeClientEnvironment(run.family, run.envDir),
    cwd: dirname(run.program),
    timeLimitMs: run.timeLimitMs,
    onSpawn: (pid) => run.onStart?.(processOwner(pid)),
  });
  return processOutcome(result, run.now());
}
