"""A warm client process for one environment: imports the client under test once, then forks a child per case.

Starting Python and importing httpx costs about 0.14 s of CPU per client run; a matrix of many cases per
environment paid it for every case. This worker pays it once, for any client family: what it imports
beyond the client is the family contract's business (REGRESS_CLIENT_CONTRACT names the module; its
optional PRELOAD list and prewarm(module) hook, see preload()). Each case still runs in its own process, made
by os.fork() from a worker that holds no sockets, no threads and no event loop (only imports), so a case is
as isolated as before: a fresh event loop, no shared pool, its own process group (the harness kills that
group at the time limit), its own stdin (the case's JSON input), stdout and stderr. The child execs
nothing: it runs the scenario's client.py as __main__ (runpy), exactly as ``python client.py`` would.

Protocol, one JSON object per line, on fds the children never see (the worker's stdin/stdout are moved to
private descriptors at start, and fds 0 and 1 of the worker point at /dev/null; its stderr stays the
harness's, for diagnostics):

  worker -> harness   {"event": "ready", "probe": {...}}        regress_probe.probe(), once
  harness -> worker   {"op": "run", "id": N, "program": path, "input": {...}}
  worker -> harness   {"event": "started", "id": N, "pid": P}   the child exists and waits
  harness -> worker   {"op": "go", "id": N}                     the harness knows the pid: run the case
  harness -> worker   {"op": "kill", "id": N}                   the time limit (when the harness cannot kill the group)
  worker -> harness   {"event": "exit", "id": N, "code": C, "signal": S, "stdout": "...", "stderr": "..."}

The pause between "started" and "go" lets the harness tell its fixtures which process is the client under
test before the client can connect (fixtures/socket-owner.ts). The worker ends when its stdin closes.
"""

import gc
import importlib
import importlib.util
import json
import os
import selectors
import signal
import sys
import tempfile

import case_scope
from regress_probe import probe

def contract_name():
    """The family's contract module (REGRESS_CLIENT_CONTRACT: regress_compat, regress_requests, ...), on PYTHONPATH."""
    return os.environ.get("REGRESS_CLIENT_CONTRACT") or "regress_compat"


def preload(module_name):
    """What every case imports anyway, imported once here: the family's contract, what it lists in its optional
    PRELOAD, and its optional prewarm(module) hook. Imports (and memory) only: nothing that opens a socket or a
    thread. Any failure here is the case's to meet again, as it would without the worker."""
    try:
        contract = importlib.import_module(contract_name())
    except BaseException:
        return
    for name in list(getattr(contract, "PRELOAD", None) or []):
        try:
            if importlib.util.find_spec(name.split(".")[0]) is not None:
                importlib.import_module(name)
        except BaseException:
            pass
    prewarm = getattr(contract, "prewarm", None)
    if prewarm is not None:
        try:
            prewarm(importlib.import_module(module_name))
        except BaseException:
            pass


# What is kept of a case's stdout and stderr: the end (the result line is the last), as the harness keeps
# a spawned client's (process-group.ts OUTPUT_KEPT).
OUTPUT_KEPT = 16 * 1024 * 1024


def tail(f):
    """The last OUTPUT_KEPT bytes of f, from a line start when cut; leaves f at its end."""
    size = f.seek(0, os.SEEK_END)
    start = max(0, size - OUTPUT_KEPT)
    f.seek(start)
    data = f.read()
    if start:
        data = data[data.find(b"\n") + 1:]
    return data.decode("utf-8", "replace")


class Worker:
    def __init__(self, control_in, control_out):
        self.control_in = control_in
        self.control_out = control_out
        self.buffer = b""
        self.children = {}  # pid -> (id, go_write_fd, stdout_file, stderr_file)
        self.waiting = {}  # id -> pid, started and waiting for "go"
        self.private = []  # the loop's own descriptors (wakeup pipe, selector): closed in children
        self.selector = None
        self.pid = os.getpid()

    def send(self, message):
        data = (json.dumps(message) + "\n").encode("utf-8")
        while data:
            written = os.write(self.control_out, data)
            data = data[written:]

    def run(self, request):
        case_id = request["id"]
        out = tempfile.TemporaryFile()
        err = tempfile.TemporaryFile()
        inp = tempfile.TemporaryFile()
        inp.write(json.dumps(request.get("input") or {}).encode("utf-8"))
        inp.flush()
        inp.seek(0)
        go_read, go_write = os.pipe()
        try:
            pid = os.fork()
        except OSError as error:  # no process to be had (EAGAIN, ENOMEM): this case fails, the worker goes on
            for fd in (go_read, go_write):
                os.close(fd)
            for f in (inp, out, err):
                f.close()
            self.send({"event": "exit", "id": case_id, "code": None, "signal": None, "stdout": "", "stderr": "fork failed: %s" % error})
            return
        if pid == 0:
            self.child(request["program"], go_read, go_write, inp, out, err)
            os._exit(70)  # not reached: child() always exits
        os.close(go_read)
        inp.close()
        try:
            os.setpgid(pid, pid)  # also done in the child: whichever runs first, the group exists before "started"
        except OSError:
            pass
        self.children[pid] = (case_id, go_write, out, err)
        self.waiting[case_id] = pid
        self.send({"event": "started", "id": case_id, "pid": pid})

    def child(self, program, go_read, go_write, inp, out, err):
        try:
            case_scope.die_with_parent(self.pid)
            case_scope.become_subreaper()
            os.setpgid(0, 0)
            signal.set_wakeup_fd(-1)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            if self.selector is not None:
                self.selector.close()
            signal.signal(signal.SIGINT, signal.default_int_handler)
            os.close(go_write)
            for fd in (self.control_in, self.control_out):
                os.close(fd)
            for fd in self.private:
                os.close(fd)
            for _, (_, fd, _, _) in self.children.items():
                os.close(fd)
            os.dup2(inp.fileno(), 0)
            os.dup2(out.fileno(), 1)
            os.dup2(err.fileno(), 2)
            for f in (inp, out, err):
                f.close()
            for _, (_, _, o, e) in self.children.items():
                o.close()
                e.close()
            # Block until the harness knows this pid (EOF: the worker went away, so give up).
            if os.read(go_read, 1) != b"g":
                os._exit(75)
            os.close(go_read)
            sys.stdin = open(0, "r", encoding="utf-8", closefd=False)
            sys.stdout = open(1, "w", encoding="utf-8", errors="backslashreplace", closefd=False, buffering=1)
            sys.stderr = open(2, "w", encoding="utf-8", errors="backslashreplace", closefd=False, buffering=1)
        except BaseException:
            os._exit(71)
        # The case's scope (case_scope.py): nothing it starts outlives it, and it dies with the worker.
        code = case_scope.run_program(program)
        case_scope.kill_descendants()
        os._exit(code)

    def go(self, case_id):
        pid = self.waiting.pop(case_id, None)
        if pid is None:
            return
        fd = self.children[pid][1]
        try:
            os.write(fd, b"g")
        except OSError:
            pass

    def reap(self):
        while True:
            try:
                pid, status, usage = os.wait4(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            entry = self.children.pop(pid, None)
            if entry is None:
                continue  # an orphan a case left behind, killed by kill_orphans()
            case_id, go_write, out, err = entry
            self.waiting.pop(case_id, None)
            try:
                os.killpg(pid, signal.SIGKILL)  # whatever the case left behind in its group goes with it
            except OSError:
                pass
            try:
                os.close(go_write)
            except OSError:
                pass
            texts, sizes = [], []
            for f in (out, err):
                texts.append(tail(f))
                sizes.append(f.tell())
                f.close()
            code = os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else (status >> 8)
            self.send({
                "event": "exit",
                "id": case_id,
                "code": code if code >= 0 else None,
                "signal": -code if code < 0 else None,
                "stdout": texts[0],
                "stderr": texts[1],
                **({"stdoutBytes": sizes[0]} if sizes[0] > OUTPUT_KEPT else {}),
                "cpuSeconds": round(usage.ru_utime + usage.ru_stime, 4),
            })

    def kill_orphans(self):
        """What a killed case left behind: re-parented here (the worker is a subreaper), never a case's.
        A live case's own descendants stay under the case (a subreaper too), so any other child is an orphan."""
        case_scope.kill_descendants(keep=self.children.keys(), rounds=5)

    def kill_all(self):
        """The harness is gone (stdin closed): its cases go with it, and whatever they started."""
        for pid in list(self.children):
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
        case_scope.kill_descendants()

    def handle(self, line):
        try:
            request = json.loads(line)
        except ValueError:
            return
        if request.get("op") == "run":
            self.run(request)
        elif request.get("op") == "go":
            self.go(request["id"])
        elif request.get("op") == "kill":
            # The time limit, where the harness cannot signal the case's group itself (inside a container).
            for pid, entry in list(self.children.items()):
                if entry[0] == request["id"]:
                    try:
                        os.killpg(pid, signal.SIGKILL)
                    except OSError:
                        pass

    def loop(self):
        wake_read, wake_write = os.pipe()
        os.set_blocking(wake_read, False)
        os.set_blocking(wake_write, False)
        signal.set_wakeup_fd(wake_write)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        selector = self.selector = selectors.DefaultSelector()
        self.private = [wake_read, wake_write]
        selector.register(self.control_in, selectors.EVENT_READ, "control")
        selector.register(wake_read, selectors.EVENT_READ, "wake")
        while True:
            for key, _ in selector.select():
                if key.data == "wake":
                    try:
                        while os.read(wake_read, 512):
                            pass
                    except BlockingIOError:
                        pass
                    self.reap()
                    self.kill_orphans()
                    continue
                chunk = os.read(self.control_in, 65536)
                if not chunk:
                    return
                self.buffer += chunk
                while b"\n" in self.buffer:
                    line, self.buffer = self.buffer.split(b"\n", 1)
                    if line.strip():
                        self.handle(line)
            self.reap()


def main():
    module_name = os.environ.get("REGRESS_CLIENT_MODULE", "httpx")
    # What a killed case orphans (a setsid daemon) is re-parented here, where kill_orphans() finds it.
    case_scope.become_subreaper()
    # The protocol moves off fds 0 and 1, which every child would otherwise share.
    control_in = os.dup(0)
    control_out = os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    os.close(null)
    sys.stdin = open(0, "r", closefd=False)
    sys.stdout = open(1, "w", closefd=False)
    worker = Worker(control_in, control_out)
    facts = probe(module_name)
    if facts["importError"] is None:
        preload(module_name)
    # Everything imported so far lives as long as the worker: out of the collector's sight, so a child's
    # collections do not touch (and copy, page by page) the memory it shares with the worker.
    gc.freeze()
    worker.send({"event": "ready", "probe": facts})
    try:
        worker.loop()
    except KeyboardInterrupt:
        pass
    # Stdin closed: the run is over (no case is running) or the harness died (SIGKILL, a crash) and cannot
    # kill the cases it started. Either way nothing of theirs may outlive the worker.
    worker.kill_all()


if __name__ == "__main__":
    main()
