// Client processes run in their own process group so a time limit or Ctrl-C kills everything they
// started, not just the first process. Every live group is registered here so an interrupt can end them.
import type { Result } from 'execa';
import { readdirSync, readFileSync } from 'node:fs';
import { loadExeca } from '../lazy-execa.ts';

const liveGroups = new Set<number>();
let stopping = false;

export function killAllGroups(signal: NodeJS.Signals = 'SIGKILL'): void {
  const tree = processTree();
  for (const pid of liveGroups) killTree(pid, signal, tree);
}

/** Every process's children, from /proc (Linux); empty elsewhere, where only groups are killed. */
function processTree(): Map<number, number[]> {
  const children = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return children;
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(name));
      children.set(ppid, list);
    } catch {
      // gone meanwhile
    }
  }
  return children;
}

/**
 * Kill a group and every process descended from its leader, whatever group or session it is in now: a
 * client's setsid daemon left the group, but the client (a subreaper, harness/python/case_scope.py) keeps
 * it a descendant. Descendants first, while the leader still holds them; then the group.
 */
export function killTree(pid: number, signal: NodeJS.Signals = 'SIGKILL', tree = processTree()): void {
  const seen = new Set<number>([pid]);
  const queue = [...(tree.get(pid) ?? [])];
  while (queue.length) {
    const next = queue.shift()!;
    if (seen.has(next)) continue;
    seen.add(next);
    queue.push(...(tree.get(next) ?? []));
    try {
      process.kill(next, signal);
    } catch {
      // already gone
    }
    killGroup(next, signal);
  }
  killGroup(pid, signal);
}

/**
 * Ctrl-C / SIGTERM: kill every live group (clients and installers) and remember it, so work that is
 * about to start (the next install step, a queued environment) does not, and a killed installer is
 * not mistaken for an install failure worth a fallback.
 */
export function stopEverything(): void {
  stopping = true;
  killAllGroups();
}

export function isStopping(): boolean {
  return stopping;
}

/** A new session in the same process starts unstopped. */
export function resetStopping(): void {
  stopping = false;
}

/** Thrown where work is refused or cut short because the run is being stopped. */
export class Stopped extends Error {
  constructor() {
    super('stopped by an interrupt');
  }
}

/**
 * A process group started elsewhere (a warm worker's per-case child, client-worker.ts): registered so an
 * interrupt kills it like the groups started here. Returns the function that unregisters it.
 */
export function trackGroup(pid: number): () => void {
  liveGroups.add(pid);
  return () => liveGroups.delete(pid);
}

export function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

export interface GroupRun {
  stdout: string;
  stderr: string;
  /** How much the process printed on stdout, when more than OUTPUT_KEPT (then `stdout` is its end). */
  stdoutBytes?: number;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  durationMs: number;
}

export interface GroupRunOptions {
  input?: string;
  env: Record<string, string>;
  cwd?: string;
  timeLimitMs: number;
  /** Called with the process id as soon as the process exists, before it runs any of its own code. */
  onSpawn?: (pid: number) => void;
  /** Installers keep the machine's environment (certificates, index settings); clients get only `env`. */
  extendEnv?: boolean;
}

/**
 * What is kept of a stream: its last OUTPUT_KEPT bytes. The end, not the start: a client's result line is
 * its last, and a client that printed 100 MB first was killed at a 16 MB buffer and judged by a missing
 * result line with nothing said about why.
 */
export const OUTPUT_KEPT = 16 * 1024 * 1024;

class OutputTail {
  #chunks: Buffer[] = [];
  #kept = 0;
  total = 0;

  push(chunk: Buffer): void {
    this.total += chunk.length;
    this.#chunks.push(chunk);
    this.#kept += chunk.length;
    while (this.#chunks.length > 1 && this.#kept - this.#chunks[0]!.length >= OUTPUT_KEPT) this.#kept -= this.#chunks.shift()!.length;
  }

  text(): string {
    let bytes = Buffer.concat(this.#chunks);
    if (bytes.length > OUTPUT_KEPT) bytes = bytes.subarray(bytes.length - OUTPUT_KEPT);
    // Cut at a line start: a line whose beginning was dropped must not pass for a whole one.
    if (bytes.length < this.total) bytes = bytes.subarray(bytes.indexOf(10) + 1);
    return bytes.toString('utf8');
  }
}

/** Run a command in a new process group with a hard time limit; never rejects for the command's own failure. */
export async function runInProcessGroup(file: string, args: string[], options: GroupRunOptions): Promise<GroupRun> {
  const started = performance.now();
  const execa = await loadExeca();
  // After an interrupt nothing new starts: it would outlive the kill that already happened.
  if (stopping) return { stdout: '', stderr: 'not started: the run is stopping', exitCode: null, signal: 'SIGKILL', timedOut: false, durationMs: 0 };
  const subprocess = execa(file, args, {
    ...(options.input !== undefined ? { input: options.input } : { stdin: 'ignore' as const }),
    env: options.env,
    extendEnv: options.extendEnv ?? false,
    ...(options.cwd ? { cwd: options.cwd } : {}),
    detached: true,
    reject: false,
    // Collected here, bounded to the end of each stream (OutputTail), however much the process prints.
    buffer: false,
  });
  const out = new OutputTail();
  const err = new OutputTail();
  subprocess.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
  subprocess.stderr?.on('data', (chunk: Buffer) => err.push(chunk));
  const pid = subprocess.pid;
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  if (pid !== undefined) {
    liveGroups.add(pid);
    timer = setTimeout(() => {
      timedOut = true;
      killTree(pid, 'SIGKILL');
    }, options.timeLimitMs);
    // After the group is registered and timed: a throwing callback must not leave an unbounded client.
    try {
      options.onSpawn?.(pid);
    } catch {
      // the caller's bookkeeping failed; the client still runs under its limit
    }
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
    stdout: out.text(),
    stderr: err.text(),
    ...(out.total > OUTPUT_KEPT ? { stdoutBytes: out.total } : {}),
    exitCode: result.exitCode ?? null,
    signal: result.signal ?? null,
    timedOut,
    durationMs: Math.round(performance.now() - started),
  };
}
