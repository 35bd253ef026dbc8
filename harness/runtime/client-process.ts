// Runs one client program under the harness contract: JSON in on stdin, one `REGRESS-RESULT {json}` line
// out, in a sanitised environment, in its own process group, with a hard time limit.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { processOwner } from '../../fixtures/socket-owner.ts';
import { contractDir, families, family } from '../families.ts';
import type { ClientProcessOutcome, ClientReport } from '../types.ts';
import { OUTPUT_KEPT, runInProcessGroup } from './process-group.ts';
import type { ClientRun } from './target.ts';

export const COMPAT_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'python');
const RESULT_MARKER = 'REGRESS-RESULT ';

/**
 * Only what a Python program needs to start. Nothing that changes TLS trust or routing reaches the
 * client (SSL_CERT_FILE, SSL_CERT_DIR, REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE, *_PROXY, NO_PROXY, NETRC, ...):
 * the project's machines export SSL_CERT_FILE, and httpx honours it, which would make every TLS verdict
 * depend on the machine. HOME is an empty folder of regress's own, not the user's: clients with trust_env
 * read ~/.netrc from it and would send the user's credentials to a fixture (test/client-environment.test.ts).
 */
export function sanitisedEnvironment(familyId: string | null, base: { HOME: string; TMPDIR: string } = { HOME: clientHome(), TMPDIR: process.env.TMPDIR ?? '/tmp' }): Record<string, string> {
  // The family decides which contract module client programs import (its folder joins PYTHONPATH) and
  // which distributions the probe reports; null: an image's client, not yet known (the probe finds it).
  const f = familyId ? family(familyId) : null;
  return {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: base.HOME,
    LANG: 'C.UTF-8',
    TMPDIR: base.TMPDIR,
    PYTHONPATH: f ? `${COMPAT_DIR}:${contractDir(f)}` : COMPAT_DIR,
    PYTHONNOUSERSITE: '1',
    PYTHONDONTWRITEBYTECODE: '1',
    PYTHONUNBUFFERED: '1',
    PYTHONIOENCODING: 'utf-8',
    ...(f
      ? {
          REGRESS_CLIENT_MODULE: f.module,
          REGRESS_CLIENT_CONTRACT: f.contract.module,
          REGRESS_CLIENT_PROGRAM: f.contract.program,
          REGRESS_REPORTED: f.reported.join(' '),
        }
      : { REGRESS_REPORTED: [...new Set(families().flatMap((x) => x.reported))].join(' ') }),
  };
}

let home: string | undefined;

/**
 * An empty HOME for this harness's client processes: made on first use with mkdtemp (a folder another
 * local user made in advance cannot be it), removed when the harness exits.
 */
export function clientHome(): string {
  if (home) return home;
  const dir = mkdtempSync(join(tmpdir(), 'regress-client-home-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return (home = dir);
}

export interface ClientProgramRun extends ClientRun {
  python: string;
  /** The client family (its contract and import name reach the program through the environment). */
  family: string;
}

/** Runs a client program as `python PROGRAM` would, in a scope nothing it starts can leave (case_scope.py). */
export const CASE_SCOPE = join(COMPAT_DIR, 'case_scope.py');

export async function runClientProgram(run: ClientProgramRun): Promise<ClientProcessOutcome> {
  const result = await runInProcessGroup(run.python, [CASE_SCOPE, run.program], {
    input: JSON.stringify(run.input),
    env: sanitisedEnvironment(run.family),
    cwd: dirname(run.program),
    timeLimitMs: run.timeLimitMs,
    onSpawn: (pid) => run.onStart?.(processOwner(pid)),
  });
  return processOutcome(result, run.now());
}

/** What the harness keeps of a finished client process, whichever runtime ran it. */
export function processOutcome(
  result: { stdout: string; stderr: string; stdoutBytes?: number | undefined; exitCode: number | null; signal?: string | null; timedOut: boolean; durationMs: number },
  exitedAt: number,
): ClientProcessOutcome {
  const parsed = parseReport(result.stdout);
  // A client that printed more than is kept: say so, or a missing result line reads as a broken client.
  if (parsed.problem && result.stdoutBytes) {
    parsed.problem = `${parsed.problem} (the client printed ${(result.stdoutBytes / 1048576).toFixed(1)} MB on stdout; only the last ${Math.round(OUTPUT_KEPT / 1048576)} MB are kept, the result line must come last)`;
  }
  return {
    ...(parsed.report ? { report: parsed.report } : {}),
    ...(parsed.problem ? { outputProblem: parsed.problem } : {}),
    exitCode: result.exitCode,
    signal: result.signal ?? null,
    timedOut: result.timedOut,
    durationMs: result.durationMs,
    exitedAt,
    stderrTail: result.stderr.slice(-2000),
  };
}

export function parseReport(stdout: string): { report?: ClientReport; problem?: string } {
  const lines = stdout.split('\n').filter((l) => l.startsWith(RESULT_MARKER));
  if (lines.length === 0) return { problem: `no ${RESULT_MARKER.trim()} line on stdout` };
  if (lines.length > 1) return { problem: `${lines.length} result lines on stdout; expected one` };
  try {
    const report = JSON.parse(lines[0]!.slice(RESULT_MARKER.length)) as ClientReport;
    if (!['ok', 'not-applicable', 'crashed'].includes(report.status) || !Array.isArray(report.steps)) {
      return { problem: 'result line does not follow the contract (status, steps)' };
    }
    return { report };
  } catch (error) {
    return { problem: `result line is not JSON: ${(error as Error).message}` };
  }
}
