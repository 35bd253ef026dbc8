// The warm client worker (harness/python/worker.py, runtime/client-worker.ts): a case forked from it keeps
// the client contract of a process of its own: stdin input, stdout/stderr, exit code, the time limit
// killing its group, and its own pid told to the fixtures before it can connect.
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { attributeNow, type SocketOwner } from '../fixtures/socket-owner.ts';
import { type ClientWorker, closeWorkers, workerFor } from '../harness/runtime/client-worker.ts';
import { findPython } from '../harness/runtime/python-env.ts';

let dir: string;
let worker: ClientWorker;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'regress-worker-test-'));
  // A bare interpreter: the client does not import there (the probe says so), the worker still runs cases.
  worker = await workerFor((await findPython()).path, 'httpx');
});
afterAll(async () => {
  await closeWorkers();
  await rm(dir, { recursive: true, force: true });
});

async function program(name: string, source: string): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, source);
  return file;
}

test('input on stdin, output and exit code as from a process of its own; cwd and argv are the program\'s', async () => {
  const file = await program(
    'echo.py',
    'import json, os, sys\ndata = json.loads(sys.stdin.read())\nprint("REGRESS-RESULT " + json.dumps({"status": "ok", "steps": [], "facts": {"case": data["case"], "cwd": os.getcwd(), "argv": sys.argv, "main": __name__}}))\nsys.stderr.write("to stderr\\n")\nsys.exit(3)\n',
  );
  const outcome = await worker.run({ program: file, input: { case: 'c1' }, timeLimitMs: 20_000, now: () => 0 });
  expect(outcome.exitCode).toBe(3);
  expect(outcome.timedOut).toBe(false);
  expect(outcome.report?.facts).toEqual({ case: 'c1', cwd: dir, argv: [file], main: '__main__' });
  expect(outcome.stderrTail).toContain('to stderr');
});

test('the time limit kills the case (and what it started), not the worker', async () => {
  const pidFile = join(dir, 'grandchild.pid');
  const file = await program('hang.py', `import subprocess, time\np = subprocess.Popen(["sleep", "60"])\nopen(${JSON.stringify(pidFile)}, "w").write(str(p.pid))\ntime.sleep(60)\n`);
  const started = performance.now();
  const outcome = await worker.run({ program: file, input: {}, timeLimitMs: 1500, now: () => 0 });
  expect(outcome.timedOut).toBe(true);
  expect(outcome.signal).toBe('SIGKILL');
  expect(performance.now() - started).toBeLessThan(15_000);
  const grandchild = Number(await readFile(pidFile, 'utf8'));
  expect(grandchild).toBeGreaterThan(0);
  await new Promise((r) => setTimeout(r, 200));
  // Killed with the group: gone, or a zombie waiting for a parent that is gone too.
  const state = await readFile(`/proc/${grandchild}/stat`, 'utf8').then((t) => t.split(') ')[1]!.charAt(0), () => 'gone');
  expect(['gone', 'Z']).toContain(state);
  expect(worker.alive).toBe(true);
  const again = await worker.run({ program: await program('ok.py', 'print("REGRESS-RESULT {\\"status\\": \\"ok\\", \\"steps\\": []}")\n'), input: {}, timeLimitMs: 20_000, now: () => 0 });
  expect(again.report?.status).toBe('ok');
});

test('the fixtures learn the forked child\'s pid before it connects: its connection is attributed to it', async () => {
  let owner: SocketOwner | null = null;
  const attributions: string[] = [];
  const server: Server = createServer((socket) => {
    const found = attributeNow(owner!, { address: socket.remoteAddress!, port: socket.remotePort! }, { address: socket.localAddress!, port: socket.localPort! });
    attributions.push(found.kind);
    socket.end('x');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  try {
    const file = await program(
      'connect.py',
      `import json, os, socket\ns = socket.create_connection(("127.0.0.1", ${port}))\ns.recv(1)\nprint("REGRESS-RESULT " + json.dumps({"status": "ok", "steps": [], "facts": {"pid": os.getpid()}}))\n`,
    );
    let told = 0;
    const outcome = await worker.run({
      program: file,
      input: {},
      timeLimitMs: 20_000,
      now: () => 0,
      onStart: (o) => {
        owner = o;
        told = o!.pids()[0]!;
      },
    });
    expect(outcome.report?.facts.pid).toBe(told);
    expect(attributions).toEqual(['client']);
  } finally {
    server.close();
  }
});

test('a case ends as `python program.py` does: non-daemon threads finish before the child exits', async () => {
  const file = await program(
    'thread.py',
    'import threading, time\ndef later():\n    time.sleep(0.3)\n    print("REGRESS-RESULT {\\"status\\": \\"ok\\", \\"steps\\": []}", flush=True)\nthreading.Thread(target=later).start()\nprint("main-done", flush=True)\n',
  );
  const outcome = await worker.run({ program: file, input: {}, timeLimitMs: 20_000, now: () => 0 });
  expect(outcome.exitCode).toBe(0);
  expect(outcome.report?.status).toBe('ok');
});

test('a worker that fails to start is not started again for every case (each would wait for it again)', async () => {
  // An "interpreter" that counts its starts and exits at once: the worker never becomes ready.
  const starts = join(dir, 'starts.txt');
  const fake = await program('fake-python', `#!/bin/sh\necho start >> ${starts}\nexit 3\n`);
  await chmod(fake, 0o755);
  const first = await workerFor(fake, 'httpx').then(() => null, (error: Error) => error);
  expect(first).toBeInstanceOf(Error);
  const again = await workerFor(fake, 'httpx').then(() => null, (error: Error) => error);
  // The same failure, answered without a second start.
  expect(again).toBe(first);
  expect((await readFile(starts, 'utf8')).trim().split('\n')).toHaveLength(1);
});
