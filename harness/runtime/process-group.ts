// Client processes run in their own process group so a time limit or Ctrl-C kills everything they
// started, not just the first process. Every live group is registered here so an interrupt can end them.
import { execa, type Result } from 'execa';

const liveGroups = new Set<number>();

export function killAllGroups(signal: NodeJS.Signals = 'SIGKILL'): void {
  for (const pid of liveGroups) killGroup(pid, signal);
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

export interface GroupRun {
  stdout: string;
  stderr: string;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  durationMs: number;
}

export interface GroupRunOptions {
  input: string;
  env: Record<string, string>;
  cwd: string;
  timeLimitMs: number;
  /** Called with the process id as soon as the process exists, before it runs any of its own code. */
  onSpawn?: (pid: number) => void;
}

/** Run a command in a new process group with a hard time limit; never rejects for the command's own failure. */
export async function runInProcessGroup(file: string, args: string[], options: GroupRunOptions): Promise<GroupRun> {
  const started = performance.now();
  const subprocess = execa(file, args, {
    input: options.input,
    env: options.env,
    extendEnv: false,
    cwd: options.cwd,
    detached: true,
    reject: false,
    stripFinalNewline: false,
    maxBuffer: 16 * 1024 * 1024,
  });
  const pid = subprocess.pid;
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  if (pid !== undefined) {
    options.onSpawn?.(pid);
    liveGroups.add(pid);
    timer = setTimeout(() => {
      timedOut = true;
      killGroup(pid, 'SIGKILL');
    }, options.timeLimitMs);
  }
  let result: Result;
  try {
    result = (await subprocess) as Result;
  } finally {
    if (timer) clearTimeout(timer);
    if (pid !== undefined) {
      // Anything the client left behind in its group goes with it.
      killGroup(pid, 'SIGKILL');
      liveGroups.delete(pid);
    }
  }
  return {
    stdout: String(result.stdout ?? ''),
    stderr: String(result.stderr ?? ''),
    exitCode: result.exitCode ?? null,
    signal: result.signal ?? null,
    timedOut,
    durationMs: Math.round(performance.now() - started),
  };
}
