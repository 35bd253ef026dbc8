"""Soak driver: run one scenario's call path many times inside ONE client process, sampling what it holds.

`regress soak` runs this program in place of a scenario's client program. It reads the same JSON input (stdin
or ``$REGRESS_INPUT``) plus ``soak: {programs, iterations, durationS, samplesFile}``, imports the client under
test and its family's contract (``$REGRESS_CLIENT_CONTRACT``: regress_compat, regress_requests, ...), and loads
the family's program (``programs[$REGRESS_CLIENT_PROGRAM]``, i.e. clients/<program>.py) with the contract's
``main`` swapped for a registry that only keeps the scenario function (the program is unchanged: its last
line, ``rc.main(scenario)``, registers instead of running). A coroutine scenario then runs N times in ONE event
loop, as a long-lived service would run it: a socket a release forgets stays referenced by that loop, where a
fresh loop per iteration would let the garbage collector close it and hide the leak. A synchronous scenario
(requests, urllib3) runs N times in this one process, the same way.

After every iteration the driver appends one JSON line to ``samplesFile`` (flushed, so the harness can show
progress and keep what finished); see take_sample for why it collects garbage between two readings:

* ``leftToCollector``: TCP sockets the client never closed, closed by their finalisers in that collection;
* ``fds``: open descriptors (/proc/self/fd) by kind; ``tcp``: which of the sockets are TCP, by state
  (/proc/self/net/tcp{,6} matched by inode);
* ``rssKb``: resident memory (/proc/self/status);
* ``objects``: live gc-tracked objects by type, for the client's packages (httpx, httpcore, h11, h2, anyio,
  the asyncio and ssl objects they hold);
* ``pool``: the pools' own state where the release exposes it, read only, guarded (absent in a release that
  keeps it elsewhere): ``_connections`` of each live httpcore pool; ``_conns`` (idle, pooled) and
  ``_acquired`` (in use) of each live aiohttp connector; or what the contract's ``pool_state(obj)`` returns;
* ``steps`` / ``facts`` / ``status`` of the iteration, so the harness can judge each iteration as a run.

Marks: each iteration's own ``ctx.mark(name)`` goes to the server as ``i<N>.<name>`` (the mark server keeps
the first mark of a name), and the driver marks ``soak.<N>.start`` / ``soak.<N>.end`` around the iteration:
the harness reads the server's open connections at each ``end`` mark on the fixture clock.

Reading the state never changes the client: gc.collect, gc.get_objects, attribute reads and /proc only.
"""

import asyncio
import gc
import importlib
import inspect
import json
import os
import runpy
import sys
import time
import traceback

import regress_core

# The family's contract (its main, Context and describe_error); regress_compat (httpx) when none is named.
rc = importlib.import_module(os.environ.get("REGRESS_CLIENT_CONTRACT") or "regress_compat")

# Packages whose objects are counted: the client under test and what it runs on (a contract may add its
# own with SOAK_PACKAGES).
COUNTED_PACKAGES = ("httpx", "httpx2", "httpcore", "httpcore2", "h11", "h2", "hpack", "anyio", "asyncio", "ssl", "socket") + tuple(
    getattr(rc, "SOAK_PACKAGES", ("requests", "urllib3", "http"))
)


def iteration_context(data, module, iteration):
    """The scenario's ordinary context, whose marks are named per iteration on the fixture clock."""

    def renamed(ctx, name):
        # The step keeps the scenario's own name, so judges read it as they would in a single run.
        ctx.steps[-1]["name"] = "mark-" + name
        ctx.steps[-1]["mark"] = name

    if inspect.iscoroutinefunction(rc.Context.mark):
        class IterationContext(rc.Context):
            async def mark(self, name):
                await super().mark("i%d.%s" % (iteration, name))
                renamed(self, name)
    else:
        class IterationContext(rc.Context):
            def mark(self, name):
                super().mark("i%d.%s" % (iteration, name))
                renamed(self, name)

    return IterationContext(data, module)


def load_scenario(path):
    """Run client.py with rc.main replaced by a registry: returns the coroutine function it registered."""
    registered = []
    original = rc.main
    rc.main = registered.append
    directory = os.path.dirname(os.path.abspath(path))
    # Last, not first: clients/<family>.py is named after its client and would shadow it (case_scope.py).
    sys.path.append(directory)
    try:
        runpy.run_path(path, run_name="regress_soak_client")
    finally:
        rc.main = original
    if len(registered) != 1:
        raise RuntimeError("%s called %s.main %d times; expected once" % (path, rc.__name__, len(registered)))
    return registered[0]


def _tcp_table():
    """inode -> TCP state name, for this process's network namespace."""
    states = {"01": "ESTABLISHED", "02": "SYN_SENT", "06": "TIME_WAIT", "07": "CLOSE", "08": "CLOSE_WAIT",
              "09": "LAST_ACK", "0A": "LISTEN", "04": "FIN_WAIT1", "05": "FIN_WAIT2", "0B": "CLOSING"}
    table = {}
    for name in ("tcp", "tcp6"):
        try:
            with open("/proc/self/net/" + name, encoding="ascii") as handle:
                next(handle, None)
                for line in handle:
                    fields = line.split()
                    if len(fields) > 9:
                        table[fields[9]] = states.get(fields[3], fields[3])
        except OSError:
            pass
    return table


def sample_descriptors():
    kinds, sockets = {}, []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink("/proc/self/fd/" + fd)
        except OSError:  # the listing's own descriptor, gone by now
            continue
        if target.startswith("socket:["):
            kind = "socket"
            sockets.append(target[8:-1])
        elif target.startswith("pipe:["):
            kind = "pipe"
        elif target.startswith("anon_inode:"):
            kind = "anon"
        else:
            kind = "file"
        kinds[kind] = kinds.get(kind, 0) + 1
    table = _tcp_table()
    tcp = {}
    for inode in sockets:
        state = table.get(inode)
        if state is not None:
            tcp[state] = tcp.get(state, 0) + 1
    return sum(kinds.values()), kinds, sum(tcp.values()), tcp


def rss_kb():
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _size(value):
    """Connections a pool holds, whatever container this release keeps them in."""
    if isinstance(value, dict):
        return sum(_size(v) for v in value.values())
    if isinstance(value, (list, set, tuple, frozenset)):
        return len(value)
    return None


def sample_objects():
    """Live objects of the counted packages by type, and the state of every live connection pool."""
    counts = {}
    pools = []
    for obj in gc.get_objects():
        cls = type(obj)
        module = getattr(cls, "__module__", None)
        if not isinstance(module, str) or module.split(".", 1)[0] not in COUNTED_PACKAGES:
            continue
        name = "%s.%s" % (module, cls.__qualname__)
        counts[name] = counts.get(name, 0) + 1
        state = pool_state(obj)
        if state is not None:
            state["type"] = name
            pools.append(state)
    return counts, pools


def _builtin_pool_state(obj):
    """The pool state of the pools this driver knows, or None for any other object."""
    cls = type(obj)
    package = cls.__module__.split(".", 1)[0]
    if cls.__name__ in ("AsyncConnectionPool", "ConnectionPool") and package in ("httpcore", "httpcore2", "httpx", "httpx2"):
        state = {}
        connections = getattr(obj, "_connections", None)
        size = _size(connections) if connections is not None else None
        if size is not None:
            state["connections"] = size
        requests = getattr(obj, "_requests", None)
        if isinstance(requests, (list, set, tuple)):
            state["requests"] = len(requests)
        return state
    if package == "aiohttp" and any(c.__name__ == "BaseConnector" for c in cls.__mro__):
        # A connector holds its idle connections by key in _conns and the ones in use in _acquired: both are
        # connections it owns (a connection in neither is one it forgot).
        # Containers differ by release (lists, deques, sets): anything sized is counted, anything else skipped.
        state = {}
        try:
            state["connections"] = sum(len(c) for c in obj._conns.values()) + len(obj._acquired)
        except (AttributeError, TypeError):
            pass
        return state
    return None


# A contract may read its own family's pools (pool_state(obj): a dict with "connections"/"requests", or None).
pool_state = getattr(rc, "pool_state", _builtin_pool_state)


def take_sample(iteration, started):
    """What the process holds after an iteration, in two steps.

    First the descriptors as they are (nothing collected yet), then again after gc.collect(): a socket that
    only garbage still held was never closed by the client; its finaliser closed it during the collection
    (``leftToCollector``: TCP sockets released by it). Everything else is sampled after the collection, so it
    counts what is really reachable: a leaked socket a pool or the loop still holds, a live object. Without
    the collection, cyclic garbage makes object counts a saw-tooth, and unclosed sockets rise and fall with
    the collector's own schedule: neither a trend nor flat.
    """
    _, _, tcp_before, _ = sample_descriptors()
    gc.collect()
    fds, fd_kinds, tcp, tcp_states = sample_descriptors()
    objects, pools = sample_objects()
    pool = {"pools": len(pools)}
    sized = [p["connections"] for p in pools if "connections" in p]
    if sized:
        pool["connections"] = sum(sized)
    requests = [p["requests"] for p in pools if "requests" in p]
    if requests:
        pool["requests"] = sum(requests)
    return {
        "iteration": iteration,
        "t": round(time.monotonic() - started, 3),
        "fds": fds,
        "fdKinds": fd_kinds,
        "tcp": tcp,
        "tcpStates": tcp_states,
        "leftToCollector": max(0, tcp_before - tcp),
        "rssKb": rss_kb(),
        "objectsTotal": sum(objects.values()),
        "objects": objects,
        "pool": pool,
    }


async def soak(data, module, scenario, settings, out):
    iterations = settings.get("iterations")
    duration = settings.get("durationS")
    started = time.monotonic()
    marker = rc.Context(data, module)
    is_coroutine = inspect.iscoroutinefunction(scenario)

    def write(record):
        out.write(json.dumps(record, default=str) + "\n")
        out.flush()

    # Iteration 0: the process before the scenario ran once (imports done, nothing connected yet).
    write({"sample": take_sample(0, started)})
    done, stopped = 0, "iterations"
    while iterations is None or done < iterations:
        if duration is not None and time.monotonic() - started >= duration:
            stopped = "duration"
            break
        n = done + 1
        marker.mark_sync("soak.%d.start" % n)
        marker.steps.clear()  # the driver's own marks are not evidence, and must not grow with the soak
        ctx = iteration_context(data, module, n)
        record = {"iteration": n}
        try:
            if is_coroutine:
                await scenario(ctx)
            else:
                scenario(ctx)  # a synchronous client: the iteration blocks this one loop, as it would its caller
            record["status"] = "ok"
        except regress_core.NotApplicable as exc:
            record.update(status="not-applicable", reason=str(exc))
        except Exception as exc:
            ctx.facts["traceback"] = traceback.format_exc()[-2000:]
            record.update(status="crashed", reason="%s: %s" % (type(exc).__name__, exc), error=rc.describe_error(module, exc))
        record["steps"] = ctx.steps
        record["facts"] = ctx.facts
        record["sample"] = take_sample(n, started)
        marker.mark_sync("soak.%d.end" % n)
        marker.steps.clear()
        write(record)
        done = n
        if record["status"] != "ok":
            stopped = record["status"]
            break
    return done, stopped


def main():
    data = regress_core.read_input()
    settings = data.get("soak") or {}
    module_name = data.get("clientModule") or os.environ.get("REGRESS_CLIENT_MODULE")
    try:
        module = importlib.import_module(module_name)
    except BaseException as exc:
        regress_core._emit({
            "status": "crashed",
            "phase": "import",
            "reason": "import %s failed: %s: %s" % (module_name, type(exc).__name__, exc),
            "error": rc.describe_error(None, exc),
            "steps": [],
            "facts": {},
        })
        return
    try:
        # The scenario's program for this client's family (clients/<program>.py), as the harness runs it.
        programs = settings.get("programs") or {}
        program = programs.get(os.environ.get("REGRESS_CLIENT_PROGRAM", "")) or settings.get("clientProgram")
        scenario = load_scenario(program)
        with open(settings["samplesFile"], "a", encoding="utf-8") as out:
            done, stopped = asyncio.run(soak(data, module, scenario, settings, out))
    except BaseException as exc:
        regress_core._emit({
            "status": "crashed",
            "reason": "soak driver: %s: %s" % (type(exc).__name__, exc),
            "steps": [],
            "facts": {"traceback": traceback.format_exc()[-2000:]},
        })
        return
    regress_core._emit({"status": "ok", "steps": [], "facts": {"iterations": done, "stopped": stopped}})


if __name__ == "__main__":
    main()
