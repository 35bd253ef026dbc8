"""The scope a case runs in, so nothing it starts outlives it or the harness (Linux; elsewhere a no-op).

A case's process group is killed at its end and at its time limit, but a process that calls setsid() (a
daemon a client.py forks) leaves the group, and a case whose harness is SIGKILLed kept running past its
time limit. So the process that runs client.py:

* is a child subreaper (PR_SET_CHILD_SUBREAPER): whatever it starts and then orphans, setsid or not, is
  re-parented to it instead of to init, so it stays this process's descendant, visible and killable;
* dies with its parent (PR_SET_PDEATHSIG, SIGTERM, handled: its descendants killed first): the harness
  (a process per case) or the warm worker;
* kills every process still under it when client.py is done, before it exits (kill_descendants).

At a time limit the harness kills the whole tree (every descendant, harness/runtime/process-group.ts) before
the group: the subreaper keeps the tree whole until then. The warm worker (worker.py) is a subreaper too,
for what a killed case leaves behind.

As a program, `python case_scope.py CLIENT.py` runs CLIENT.py as __main__ exactly as `python CLIENT.py`
would (the process-per-case runtime, REGRESS_WORKER=0).
"""

import os
import signal
import sys

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36


def _prctl(option, value):
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(option, value, 0, 0, 0) == 0
    except Exception:
        return False


def become_subreaper():
    return _prctl(PR_SET_CHILD_SUBREAPER, 1)


def _parent_gone(*_):
    kill_descendants()
    os._exit(143)


def die_with_parent(parent_pid):
    """End, and end what this process started, when the parent goes; if it went before the prctl, now.

    SIGTERM rather than SIGKILL, handled: a SIGKILL could not take the setsid daemons under this subreaper
    along (they would be re-parented to init)."""
    signal.signal(signal.SIGTERM, _parent_gone)
    if _prctl(PR_SET_PDEATHSIG, signal.SIGTERM) and os.getppid() != parent_pid:
        _parent_gone()


def children_of(pid):
    """Live children of pid, read from /proc (every thread's children file, or a scan of every stat)."""
    found = set()
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/children" % (pid, tid)) as f:
                found.update(int(p) for p in f.read().split())
        return found
    except OSError:
        pass
    try:
        names = os.listdir("/proc")
    except OSError:
        return found  # no /proc (not Linux): the process groups are all there is to kill
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name) as f:
                stat = f.read()
            if int(stat[stat.rindex(")") + 2:].split()[1]) == pid:
                found.add(int(name))
        except (OSError, ValueError, IndexError):
            pass
    return found


def kill_descendants(keep=(), rounds=50):
    """SIGKILL this process's children (and their groups) but `keep`, reap them, and again for what that
    re-parents here, until none is left. Returns how many were killed."""
    me = os.getpid()
    killed = 0
    for _ in range(rounds):
        victims = children_of(me) - set(keep)
        if not victims:
            break
        for pid in victims:
            for kill in (os.kill, os.killpg):
                try:
                    kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            killed += 1
        for pid in victims:
            try:
                os.waitpid(pid, 0)
            except OSError:
                pass
    return killed


def run_program(program):
    """Run program as __main__ (runpy), then what the interpreter does at exit; the exit code."""
    directory = os.path.dirname(os.path.abspath(program))
    os.chdir(directory)
    sys.argv = [program]
    # The program's folder goes LAST on sys.path, not first as `python program.py` would put it: a family's
    # program is named after its client (clients/requests.py, clients/httpx.py), and first on the path it
    # would shadow the client itself, so `import requests` would import the program a second time. A helper
    # module beside the program still imports. (sys.path[0] is this scope's own folder, also on PYTHONPATH.)
    sys.path.pop(0)
    sys.path.append(directory)
    code = 0
    try:
        import runpy

        runpy.run_path(program, run_name="__main__")
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if not isinstance(exc.code, int) and exc.code is not None:
            sys.stderr.write("%s\n" % exc.code)
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    try:
        # What the interpreter does at exit, in its order: wait for non-daemon threads (and the
        # concurrent.futures exit hook they register), then run atexit handlers.
        import threading

        threading._shutdown()
    except BaseException:
        pass
    try:
        import atexit

        atexit._run_exitfuncs()
    except BaseException:
        pass
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:
        pass
    return code


def main():
    parent = os.getppid()
    die_with_parent(parent)
    become_subreaper()
    program = sys.argv[1]
    # The scope's own directory is sys.path[0] now; run_program puts the program's last instead.
    code = run_program(program)
    kill_descendants()
    os._exit(code)


if __name__ == "__main__":
    main()
