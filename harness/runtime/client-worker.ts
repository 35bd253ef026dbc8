// One warm client process per environment (harness/python/worker.py): it starts Python and imports the
// client under test once, then forks a child per case, so a case no longer pays interpreter start-up and
// the client's import (about 0.14 s of CPU each, 85 % of a matrix's CPU). The child runs the case exactly
// as `python client.py` would: the same JSON input, the same result line, its own process group, which the
// time limit kills here as runInProcessGroup kills a spawned client's.
//
// The worker's "ready" line is also what the probe of a cached environment used to be (what is installed,
// whether the client imports), so a warm run starts one Python per environment, not two.
//
// REGRESS_WORKER=0 turns it off: every case then spawns its own Python (client-process.ts), as before;
// that path also serves any environment whose worker cannot start or has died.
import { spawn } from 'node:child_process';
import { totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { processOwner, type SocketOwner } from '../../fixtures/socket-owner.ts';
import type { ClientProcessOutcome } from '../types.ts';
import { COMPAT_DIR, processOutcome, sanitisedEnvironment } from './client-process.ts';
import { registerCleanup } from './cleanup.ts';
import { phase } from './phase-log.ts';
import { isStopping, killGroup, killTree, trackGroup } from './process-group.ts';
import type { ClientRun } from './target.ts';

export const WORKER_PROGRAM = join(COMPAT_DIR, 'worker.py');
/** Starting Python and importing the client; far above the 0.2-0.5 s it takes on a loaded machine. */
const READY_TIMEOUT_MS = 60_000;
/** After a time limit's kill, how long the worker has to report the case's end. */
const KILL_GUARD_MS = 15_000;

export interface WorkerProbe {
  python: string;
  openssl: string;
  packages: Record<string, string | null>;
  importError: string | null;
}

type WorkerEvent =
  | { event: 'ready'; probe: WorkerProbe }
  | { event: 'started'; id: number; pid: number }
  | { event: 'exit'; id: number; code: number | null; signal: number | null; stdout: string; stderr: string; stdoutBytes?: number; cpuSeconds?: number };

interface Pending {
  started: (pid: number) => void;
  exited: (event: Extract<WorkerEvent, { event: 'exit' }>) => void;
  failed: (error: Error) => void;
}

export function workersEnabled(): boolean {
  return process.env.REGRESS_WORKER !== '0';
}

/**
 * How the harness talks to a worker: its stdin and stdout carry the protocol (worker.py), its stderr is kept
 * for diagnostics. A local process, or an exec inside a container (container-runtime.ts).
 */
export interface WorkerChannel {
  input: Writable;
  output: Readable;
  errors: Readable;
  /** Called once, when the worker is gone (exited, killed, the exec ended). */
  onEnd(listener: (why: string) => void): void;
  /** Close the worker's stdin: it ends by itself. */
  close(): void;
  /** An idle worker must not keep the harness alive; a busy one must. */
  ref?(): void;
  unref?(): void;
}

export interface WorkerPlace {
  /** The pids a case's child has are this process's (venv): its group is killed here; else the worker kills it. */
  localPids: boolean;
  /** Which processes the fixtures count as the client under test, given the child's pid. */
  owner(pid: number): SocketOwner | null | Promise<SocketOwner | null>;
}

export class ClientWorker {
  readonly probe: WorkerProbe;
  /** The worker process's pid when it runs here (venv), to measure it; absent inside a container. */
  pid?: number;
  /** Called when the last running case ends (the LRU cap may then end this worker or another). */
  onIdle?: () => void;
  readonly #channel: WorkerChannel;
  readonly #place: WorkerPlace;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #alive = true;
  #stderrTail = '';

  private constructor(channel: WorkerChannel, place: WorkerPlace, probe: WorkerProbe) {
    this.#channel = channel;
    this.#place = place;
    this.probe = probe;
  }

  get alive(): boolean {
    return this.#alive;
  }

  /** No case running: it can be ended without touching one. */
  get idle(): boolean {
    return this.#pending.size === 0;
  }

  /** Start a local worker for an environment's interpreter; resolves once it has imported the client. */
  static start(python: string, familyId: string): Promise<ClientWorker> {
    const child = spawn(python, [WORKER_PROGRAM], {
      env: sanitisedEnvironment(familyId),
      cwd: COMPAT_DIR,
      // Its own group, so an interrupt's group kill reaches it; cases run in groups of their own.
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const untrack = child.pid !== undefined ? trackGroup(child.pid) : () => undefined;
    const streams = [child.stdin, child.stdout, child.stderr] as unknown as { ref?: () => void; unref?: () => void }[];
    const channel: WorkerChannel = {
      input: child.stdin!,
      output: child.stdout!,
      errors: child.stderr!,
      onEnd: (listener) => {
        child.on('error', (error) => listener(error.message));
        child.on('exit', (code, signal) => {
          untrack();
          listener(`exited (${signal ?? `code ${code}`})`);
        });
      },
      close: () => child.stdin!.end(),
      ref: () => {
        child.ref();
        for (const s of streams) s.ref?.();
      },
      unref: () => {
        child.unref();
        for (const s of streams) s.unref?.();
      },
    };
    return ClientWorker.open(channel, `${python} (${familyId})`, { localPids: true, owner: (pid) => processOwner(pid) }, () => child.kill('SIGKILL')).then((worker) => {
      if (child.pid !== undefined) worker.pid = child.pid;
      return worker;
    });
  }

  /** Talk to a started worker over a channel; resolves on its ready line. */
  static open(channel: WorkerChannel, describe: string, place: WorkerPlace, abandon: () => void = () => channel.close()): Promise<ClientWorker> {
    const started = performance.now();
    return new Promise((resolve, reject) => {
      let worker: ClientWorker | undefined;
      let stderr = '';
      const timer = setTimeout(() => {
        reject(new Error(`the client worker ${describe} was not ready after ${READY_TIMEOUT_MS / 1000} s`));
        abandon();
      }, READY_TIMEOUT_MS);
      channel.errors.setEncoding('utf8');
      channel.errors.on('data', (text: string) => {
        stderr = (stderr + text).slice(-4000);
        if (worker) worker.#stderrTail = stderr;
      });
      channel.input.on('error', () => undefined);
      const lines = createInterface({ input: channel.output });
      lines.on('line', (line) => {
        let event: WorkerEvent;
        try {
          event = JSON.parse(line) as WorkerEvent;
        } catch {
          return;
        }
        if (event.event === 'ready' && !worker) {
          clearTimeout(timer);
          worker = new ClientWorker(channel, place, event.probe);
          channel.unref?.();
          phase('worker ready', `${describe} in ${Math.round(performance.now() - started)} ms`);
          resolve(worker);
          return;
        }
        if (worker) worker.#receive(event);
      });
      let ended = false;
      channel.onEnd((how) => {
        if (ended) return;
        ended = true;
        clearTimeout(timer);
        const why = `the client worker ${how}: ${stderr.trim().split('\n').at(-1) ?? ''}`;
        if (!worker) {
          reject(new Error(why));
          return;
        }
        worker.#alive = false;
        for (const pending of worker.#pending.values()) pending.failed(new Error(why));
        worker.#pending.clear();
      });
    });
  }

  #receive(event: WorkerEvent): void {
    if (event.event === 'ready') return;
    const pending = this.#pending.get(event.id);
    if (!pending) return;
    if (event.event === 'started') pending.started(event.pid);
    else {
      this.#pending.delete(event.id);
      pending.exited(event);
      if (this.#pending.size === 0) this.#becameIdle();
    }
  }

  #becameIdle(): void {
    this.#channel.unref?.();
    this.onIdle?.();
  }

  #send(message: Record<string, unknown>): void {
    this.#channel.input.write(`${JSON.stringify(message)}\n`);
  }

  /** One case in a forked child; never rejects for the client's own failure, only when the worker is gone. */
  run(run: ClientRun): Promise<ClientProcessOutcome> {
    if (!this.#alive) return Promise.reject(new Error(`the client worker is gone: ${this.#stderrTail.trim().split('\n').at(-1) ?? ''}`));
    const begun = performance.now();
    if (isStopping()) {
      return Promise.resolve(
        processOutcome({ stdout: '', stderr: 'not started: the run is stopping', exitCode: null, signal: 'SIGKILL', timedOut: false, durationMs: 0 }, run.now()),
      );
    }
    const id = this.#nextId++;
    this.#channel.ref?.();
    const local = this.#place.localPids;
    return new Promise<ClientProcessOutcome>((resolve, reject) => {
      let timedOut = false;
      let timer: NodeJS.Timeout | undefined;
      let guard: NodeJS.Timeout | undefined;
      let pid: number | undefined;
      let untrack: () => void = () => undefined;
      const kill = (whole = false): void => {
        if (pid === undefined) return;
        // At the time limit, the whole tree: a case's setsid daemon is still its descendant (the case is
        // a subreaper); a case that ended has killed its descendants itself (case_scope.py).
        if (local) (whole ? killTree : killGroup)(pid, 'SIGKILL');
        else this.#send({ op: 'kill', id });
      };
      const finish = (): void => {
        if (timer) clearTimeout(timer);
        if (guard) clearTimeout(guard);
        // Anything the case left behind in its group goes with it (the worker kills the group too).
        if (local) kill();
        untrack();
      };
      this.#pending.set(id, {
        started: (childPid) => {
          pid = childPid;
          if (local) {
            untrack = trackGroup(childPid);
            // An interrupt between the fork and here: the group kill already happened, so kill this one too.
            if (isStopping()) killGroup(childPid, 'SIGKILL');
          }
          timer = setTimeout(() => {
            timedOut = true;
            kill(true);
            // A worker that cannot carry out the kill (a container gone silent) must not hang the run.
            guard = setTimeout(() => {
              this.#pending.delete(id);
              // As in #receive: an idle worker must not keep the harness alive once the run is over.
              if (this.#pending.size === 0) this.#becameIdle();
              finish();
              reject(new Error(`the client worker did not end the case ${Math.round(KILL_GUARD_MS / 1000)} s after its time limit`));
            }, KILL_GUARD_MS);
          }, run.timeLimitMs);
          // The fixtures learn who the client is before it may connect: the child waits for "go".
          void Promise.resolve(this.#place.owner(childPid))
            .catch(() => null)
            .then((owner) => {
              try {
                run.onStart?.(owner);
              } catch {
                // the caller's bookkeeping failed; the client still runs under its limit
              }
              this.#send({ op: 'go', id });
            });
        },
        exited: (event) => {
          finish();
          phase('case child exited', `${run.program.split('/').at(-2)} pid ${pid} after ${Math.round(performance.now() - begun)} ms, ${event.cpuSeconds ?? '?'} s CPU`);
          resolve(
            processOutcome(
              {
                stdout: event.stdout,
                stderr: event.stderr,
                stdoutBytes: event.stdoutBytes,
                exitCode: event.code,
                signal: event.signal !== null ? signalName(event.signal) : null,
                timedOut,
                durationMs: Math.round(performance.now() - begun),
              },
              run.now(),
            ),
          );
        },
        failed: (error) => {
          finish();
          reject(error);
        },
      });
      this.#send({ op: 'run', id, program: run.program, input: run.input });
    });
  }

  close(): void {
    if (!this.#alive) return;
    // Not alive from now on: a caller that got this worker a moment ago and checks `alive` before its
    // run() (python-env.ts) starts its case as a Python of its own instead of on a worker that is ending.
    this.#alive = false;
    this.#channel.close();
  }
}

function signalName(signal: number): string {
  const names: Record<number, string> = { 9: 'SIGKILL', 15: 'SIGTERM', 2: 'SIGINT', 6: 'SIGABRT', 11: 'SIGSEGV' };
  return names[signal] ?? `signal ${signal}`;
}

/**
 * A live worker's resident memory, measured (2026-12-06, Python 3.11.7, idle after importing its client):
 * httpx 0.28.1 30.7 MB RSS / 28.6 MB PSS, httpx 0.13.3 32.4 / 22.7, httpx2 2.17.0 31.6 / 24.9, requests 2.32.3
 * 30.9 / 22.6, urllib3 2.5.0 25.2 / 16.7, aiohttp 3.14.5 36.2 / 25.5 (`npm run bench` measures it again:
 * "worker RSS"). The cap counts twice that: a client's caches grow with use, and a worker that has forked
 * cases keeps pages of its own that would otherwise be shared.
 */
export const WORKER_BUDGET_BYTES = 64 * 1024 * 1024;

/**
 * How many workers may stay resident at once: REGRESS_MAX_WORKERS, else as many as fit in a quarter of the
 * machine's memory at WORKER_BUDGET_BYTES each (96 on 24 GB, 28 on a 7 GB CI runner), at least 4. A full
 * `regress tables` has a worker per release (77 on 2026-12-06): without a cap they all stayed resident to
 * the end of the run.
 */
export function maxWorkers(memoryBytes = totalmem(), setting = process.env.REGRESS_MAX_WORKERS): number {
  const given = Number(setting);
  if (setting !== undefined && setting !== '' && Number.isInteger(given) && given >= 1) return given;
  return Math.max(4, Math.floor(memoryBytes / 4 / WORKER_BUDGET_BYTES));
}

/**
 * One worker per (interpreter, client family), shared by every prepared client of that environment, in
 * least-recently-used order (a Map keeps insertion order; a use moves the key to the end).
 */
interface WorkerEntry {
  started: Promise<ClientWorker>;
  /** Once started. */
  worker?: ClientWorker;
  /** It did not start: nothing resident (the entry stays so the start is not retried). */
  failed?: boolean;
}
const workers = new Map<string, WorkerEntry>();

/** Started or starting, not dead: what takes memory. */
function resident(entry: WorkerEntry): boolean {
  return !entry.failed && (!entry.worker || entry.worker.alive);
}
let cleanupRegistered = false;

export function workerFor(python: string, familyId: string): Promise<ClientWorker> {
  const key = `${python}\0${familyId}`;
  const existing = workers.get(key);
  if (existing) {
    workers.delete(key);
    workers.set(key, existing);
    // A dead worker (killed by an interrupt, crashed) is replaced on the next call. One that failed to
    // start is not retried: every case of the environment would wait up to READY_TIMEOUT_MS for it again,
    // so they run as Python processes of their own (the caller's fallback) until closeWorkers().
    return existing.started.then((w) => (w.alive ? w : replace()));
  }
  return replace();
  function replace(): Promise<ClientWorker> {
    const started = ClientWorker.start(python, familyId);
    const entry: WorkerEntry = { started };
    workers.delete(key);
    workers.set(key, entry);
    started.then(
      (worker) => {
        entry.worker = worker;
        worker.onIdle = trimWorkers;
        trimWorkers();
      },
      () => {
        entry.failed = true;
      },
    );
    if (!cleanupRegistered) {
      cleanupRegistered = true;
      registerCleanup(async () => {
        cleanupRegistered = false;
        await closeWorkers();
      });
    }
    return started;
  }
}

/**
 * Keep at most maxWorkers() resident: end the least recently used idle workers beyond it. A worker with a
 * case running is never ended (its stdin closing would kill the case); the cap waits until it is idle
 * (onIdle), so while every worker is busy a few more may live for a moment. A worker ended here is started
 * again if a later case needs it (the runner orders a run's jobs in waves of clients that fit, see
 * workerWaves in runner.ts, so that is rare).
 */
function trimWorkers(): void {
  const cap = maxWorkers();
  let excess = residentWorkers() - cap;
  if (excess <= 0) return;
  for (const [key, entry] of workers) {
    if (excess <= 0) break;
    const worker = entry.worker;
    // Still starting (its caller waits for it), running a case, or already gone: not now.
    if (!worker || !resident(entry) || !worker.idle) continue;
    workers.delete(key);
    worker.close();
    excess -= 1;
    phase('worker ended (cap)', `${key.replace('\0', ' ')}: ${residentWorkers()} resident, cap ${cap}`);
  }
}

/** How many workers are resident now (started or starting, not dead). */
export function residentWorkers(): number {
  let n = 0;
  for (const entry of workers.values()) if (resident(entry)) n += 1;
  return n;
}

/** End every worker (their stdin closes; running cases are the caller's to kill). */
export async function closeWorkers(): Promise<void> {
  const all = [...workers.values()].map((e) => e.started);
  workers.clear();
  for (const w of await Promise.allSettled(all)) if (w.status === 'fulfilled') w.value.close();
}
