// A project's scenario.ts that loops (or waits forever) at import hung `run` and `list` with no output.
// Each project module's import is bounded: a timer here for a wait that never ends, and for a loop (which
// holds this thread, so no timer can fire) a watchdog thread that stops the module's code through the
// inspector (Runtime.terminateExecution) once the bound has passed with no progress; the import is then
// abandoned, the overdue timer fires and the module is named. The watchdog is a few lines of JavaScript in
// its own thread (no modules loaded): it costs a thread start, not a second load of the scenarios.
import { dirname } from 'node:path';
import { Worker } from 'node:worker_threads';

/** Far above what loading one scenario module takes on a loaded 2-core machine (well under a second). */
const LOAD_BOUND_MS = Number(process.env.REGRESS_SCENARIO_LOAD_MS) || 20_000;
/** The watchdog waits this much longer than the timer: a thread that is free fires its timer first. */
const WATCHDOG_LAG_MS = 2000;

const WATCHDOG = `
const { workerData } = require('node:worker_threads');
const state = new Int32Array(workerData.state);
for (;;) {
  const seen = Atomics.load(state, 0);
  if (seen < 0) break;
  if (Atomics.wait(state, 0, seen, workerData.ms) === 'timed-out' && Atomics.load(state, 0) === seen) {
    try {
      const session = new (require('node:inspector').Session)();
      session.connectToMainThread();
      session.post('Runtime.terminateExecution');
    } catch {}
    break;
  }
}
`;

export class BoundedLoads {
  readonly #state = new Int32Array(new SharedArrayBuffer(4));
  #watchdog: Worker | null = null;

  /** Import `file` (through `load`) within the bound, or reject with `fail(message)`. */
  async load<T>(file: string, load: () => Promise<T>, fail: (message: string) => Error): Promise<T> {
    this.#progress();
    this.#watchdog ??= this.#start();
    let timer: NodeJS.Timeout | undefined;
    const seconds = Math.round(LOAD_BOUND_MS / 1000);
    const bound = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        // This thread is free (a wait that never ends) or was freed by the watchdog (a loop): either way,
        // the watchdog has nothing more to do.
        this.stop();
        reject(fail(`${file} did not finish loading within ${seconds} s (a loop or an endless wait when the module is imported?); fix it or leave the folder ${dirname(file)} out`));
      }, LOAD_BOUND_MS);
    });
    try {
      return await Promise.race([load(), bound]);
    } finally {
      clearTimeout(timer);
      this.#progress();
    }
  }

  /** Every module loaded (or one failed): the watchdog ends. */
  stop(): void {
    Atomics.store(this.#state, 0, -1);
    Atomics.notify(this.#state, 0);
    this.#watchdog = null;
  }

  #progress(): void {
    if (Atomics.load(this.#state, 0) < 0) return;
    Atomics.add(this.#state, 0, 1);
    Atomics.notify(this.#state, 0);
  }

  #start(): Worker {
    const worker = new Worker(WATCHDOG, { eval: true, workerData: { state: this.#state.buffer, ms: LOAD_BOUND_MS + WATCHDOG_LAG_MS } });
    // It must never keep the command alive, nor fail it.
    worker.unref();
    worker.on('error', () => undefined);
    return worker;
  }
}
