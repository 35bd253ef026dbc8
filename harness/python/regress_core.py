"""The client-side half of the harness contract that every client family shares. It names no client.

A family's contract module (one per client family, named by REGRESS_CLIENT_CONTRACT) adds what its
client's API needs and calls ``run(scenario, classify, describe)`` from its ``main``. ``run`` reads one JSON
object (the case's input: case name, server URLs, certificate paths, timings; stdin, or the file
``REGRESS_INPUT`` names), imports the client under test (``clientModule`` in the input, else
``REGRESS_CLIENT_MODULE``), runs the scenario and prints exactly one line, ``REGRESS-RESULT {json}``:
what the scenario did (``steps``), what it learned (``facts``) and a status:

* ``ok``             the scenario ran; the harness judges the steps against what the server saw;
* ``not-applicable`` the release's API cannot express the scenario (the scenario raised NotApplicable);
* ``crashed``        the scenario program failed, or (``phase: import``) the client under test could not be
                     imported, or (``phase: contract``) the family's contract could not prepare the release
                     (its Context raised): all are error verdicts, never not-applicable.

A scenario is a coroutine function (run with asyncio.run, a fresh event loop) or a plain function (run as
it is, for synchronous clients). Every run's facts hold the client process's memory high-water mark
(``peak_rss_kib``) and its level when the scenario started (``start_rss_kib``): see ``_rss_high_water``.

Errors are described family by family (``describe``: the exception's public name, a kind, the message and
the chain of exceptions behind it); ``classify_common`` gives the kinds of the standard library's own
exceptions (ssl, socket, http.client, zlib), which every family's classify falls back to.
"""

import errno
import importlib
import inspect
import json
import os
import re
import socket
import ssl
import sys
import time
import traceback
import urllib.parse

RESULT_MARKER = "REGRESS-RESULT "

# The header by which the fixtures tell the client under test from other processes that connect to them:
# every client a contract builds sends it, with the run's token (input regress.clientToken).
TOKEN_HEADER = "x-regress-client"


class NotApplicable(Exception):
    """Raised by a scenario when the client under test cannot express it."""


class Unsupported(Exception):
    """Raised by a contract when a requested setting does not exist in this release."""


def _params(fn):
    """The parameter names of fn's signature (empty when it has none Python can read)."""
    try:
        return set(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return set()


def _takes_any_keyword(fn):
    """Whether fn accepts **kwargs."""
    try:
        return any(p.kind is inspect.Parameter.VAR_KEYWORD for p in inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return False


def with_token(headers, token):
    """A copy of headers (a dict or None) with the run's client token added, unless it is already there."""
    merged = dict(headers or {})
    if token and not any(str(k).lower() == TOKEN_HEADER for k in merged):
        merged[TOKEN_HEADER] = token
    return merged


# ---------------------------------------------------------------------------------------------------------
# Errors: the chain behind an exception, its public name, its kind.


def _chain(exc):
    """The exceptions behind exc (its __cause__, else __context__, and so on), described as strings."""
    seen, links = set(), []
    current = exc.__cause__ or exc.__context__
    while current is not None and id(current) not in seen and len(links) < 8:
        seen.add(id(current))
        links.append("%s.%s: %s" % (type(current).__module__, type(current).__qualname__, current))
        current = current.__cause__ or current.__context__
    return links


def links(exc, limit=12):
    """exc and every exception behind it, nearest first: __cause__ and __context__, and also the exceptions
    a wrapper holds as data rather than as a cause (a ``reason`` attribute, as urllib.error.URLError has,
    and exceptions among its ``args``), which is how several clients wrap the error that really happened."""
    found, queue, seen = [], [exc], set()
    while queue and len(found) < limit:
        current = queue.pop(0)
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        found.append(current)
        inner = [current.__cause__, current.__context__]
        reason = getattr(current, "reason", None)
        if isinstance(reason, BaseException):
            inner.append(reason)
        inner.extend(a for a in getattr(current, "args", ()) if isinstance(a, BaseException))
        queue.extend(e for e in inner if e is not None)
    return found


def describe_links(exc):
    """Like _chain, but over links(exc): the wrapped exceptions too, so a judge can read what really happened."""
    return ["%s.%s: %s" % (type(e).__module__, type(e).__qualname__, e) for e in links(exc)[1:]]


def public_name(cls, namespaces):
    """``namespace.Name`` for the first namespace (a module) that exposes cls under a public name, else
    where cls is defined: the name users of the client know (its exceptions module) rather than the private module
    that defines the class."""
    for namespace in namespaces:
        if namespace is None:
            continue
        for attr, value in vars(namespace).items():
            if value is cls and not attr.startswith("_"):
                return "%s.%s" % (namespace.__name__, attr)
    return "%s.%s" % (cls.__module__, cls.__qualname__)


# OpenSSL's verify codes for a certificate that is valid but names another host: X509_V_ERR_HOSTNAME_MISMATCH,
# X509_V_ERR_IP_ADDRESS_MISMATCH. Older code paths (match_hostname, which some clients vendor) say it in words.
HOSTNAME_VERIFY_CODES = (62, 64)
_HOSTNAME_TEXT = re.compile(r"hostname mismatch|ip address mismatch|doesn't match|does not match", re.I)

# Where a timeout happened, from the innermost Python frames it was raised through: the standard library's
# socket, ssl and http.client functions, which every client ends up calling.
_CONNECT_FRAMES = {"create_connection", "connect", "connect_ex", "do_handshake", "wrap_socket", "_tunnel"}
_READ_FRAMES = {"recv", "recv_into", "readinto", "read", "readline", "_read_status", "begin", "getresponse", "_safe_read"}
_WRITE_FRAMES = {"send", "sendall", "write", "_send_output"}


def _timeout_phase(exc):
    """connect-timeout / read-timeout / write-timeout from where exc was raised, else plain timeout."""
    names = []
    tb = exc.__traceback__
    while tb is not None:
        names.append(tb.tb_frame.f_code.co_name)
        tb = tb.tb_next
    for name in reversed(names):  # innermost first
        if name in _CONNECT_FRAMES:
            return "connect-timeout"
        if name in _READ_FRAMES:
            return "read-timeout"
        if name in _WRITE_FRAMES:
            return "write-timeout"
    return "timeout"


def _is_timeout(exc):
    # socket.timeout is TimeoutError from Python 3.10; a distinct OSError subclass before.
    return isinstance(exc, (socket.timeout, TimeoutError))


def _is_remote_disconnect(exc):
    import http.client

    if type(exc).__name__ == "InvalidChunkLength":  # an IncompleteRead subclass that is a protocol violation
        return False
    return isinstance(exc, (http.client.RemoteDisconnected, http.client.IncompleteRead, ConnectionResetError, ConnectionAbortedError, BrokenPipeError))


# connect(2) failures that are the peer or the route, not the client.
_UNREACHABLE_ERRNOS = {getattr(errno, n) for n in ("ECONNREFUSED", "ENETUNREACH", "EHOSTUNREACH", "EADDRNOTAVAIL") if hasattr(errno, n)}


def tls_kind(chain):
    """hostname / certificate / tls for a chain that holds a TLS failure, else None."""
    text = " | ".join(str(e) for e in chain)
    for e in chain:
        if isinstance(e, ssl.SSLCertVerificationError) or type(e).__name__ == "CertificateError":
            code = getattr(e, "verify_code", None)
            if code in HOSTNAME_VERIFY_CODES or _HOSTNAME_TEXT.search(str(e)):
                return "hostname"
            return "certificate"
    if "CERTIFICATE_VERIFY_FAILED" in text:
        return "hostname" if _HOSTNAME_TEXT.search(text) else "certificate"
    if any(isinstance(e, ssl.SSLError) for e in chain):
        return "tls"
    return None


def classify_common(exc, chain=None):
    """The kind of an error from the standard library exceptions in its chain (links(exc)), for any client.

    hostname, certificate, tls; connect-timeout, read-timeout, write-timeout, timeout (by where the
    socket timed out); decode (zlib); remote-disconnected (the peer closed or reset the connection, before
    or during the response); connect (refused, unresolvable, unreachable); protocol (a malformed response);
    runtime (RuntimeError); other.
    """
    import http.client
    import zlib

    chain = chain if chain is not None else links(exc)
    kind = tls_kind(chain)
    if kind:
        return kind
    for e in chain:
        if _is_timeout(e):
            return _timeout_phase(e)
    if any(isinstance(e, zlib.error) or type(e).__module__.split(".")[0] in ("brotli", "zstandard") for e in chain):
        return "decode"
    if any(_is_remote_disconnect(e) for e in chain):
        return "remote-disconnected"
    for e in chain:
        if isinstance(e, (ConnectionRefusedError, socket.gaierror, socket.herror)):
            return "connect"
        if isinstance(e, OSError) and getattr(e, "errno", None) in _UNREACHABLE_ERRNOS:
            return "connect"
    if any(isinstance(e, http.client.HTTPException) for e in chain):
        return "protocol"
    if any(isinstance(e, RuntimeError) for e in chain):
        return "runtime"
    return "other"


def describe_with(classify, namespaces=()):
    """A describe(module, exc) for a family: public name, kind, message and the chain behind the error."""

    def describe(module, exc):
        return {
            "type": public_name(type(exc), namespaces() if callable(namespaces) else namespaces),
            "kind": classify(exc),
            "message": str(exc)[:500],
            "chain": describe_links(exc),
        }

    return describe


# ---------------------------------------------------------------------------------------------------------
# The process's memory.


def _rss_high_water():
    """The process's resident memory high-water mark in KiB, and where it was read.

    /proc/self/status VmHWM where there is one (Linux): the peak of this process's own address space. Not
    getrusage's ru_maxrss there, although it is the same figure for a process started from scratch:
    ru_maxrss survives execve, so a client spawned by the harness (REGRESS_WORKER=0) would report the
    harness's own peak (Node's, measured at 300 MB for a 13 MB Python). ru_maxrss elsewhere (bytes on macOS).

    After a fork from the warm worker both start at the worker's resident size at the fork (imports, the
    preloaded modules), not at zero: the contract records that level when the scenario starts
    (start_rss_kib) beside the peak at the end (peak_rss_kib), so a judge can take the growth.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]), "VmHWM"
    except (OSError, ValueError):
        pass
    try:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return (peak // 1024 if sys.platform == "darwin" else peak), "ru_maxrss"
    except Exception:
        return None, None


# ---------------------------------------------------------------------------------------------------------
# What a scenario gets.


class Context:
    """A scenario's input, the client module and a step recorder. Families subclass it to add their API."""

    def __init__(self, data, module, describe=None):
        self.input = data
        self.module = module
        self._regress = data.get("regress") or {}
        self.token = self._regress.get("clientToken")
        self.steps = []
        self.facts = {}
        self._describe = describe or describe_with(classify_common)
        self._t0 = time.monotonic()

    def clock(self):
        """Seconds since the context was made (the scenario's own clock, in every step's startedAt)."""
        return round(time.monotonic() - self._t0, 4)

    def fact(self, key, value):
        self.facts[key] = value

    def mark_sync(self, name):
        """Note this moment on the fixture clock (e.g. "linger": every client is closed, the process lives on).

        Sent with a plain blocking socket, not the client under test, and read to the end, so the mark is
        on the server before the scenario goes on.
        """
        base = self._regress.get("markUrl")
        if not base:
            raise RuntimeError("this case's fixture offers no mark URL")
        url = urllib.parse.urlsplit("%s/%s" % (base, name))
        started = self.clock()
        with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
            sock.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % (url.path, url.netloc)).encode())
            reply = b""
            while True:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                reply += chunk
        if not reply.startswith(b"HTTP/1.1 204"):
            raise RuntimeError("mark %r refused: %r" % (name, reply[:60]))
        self.record("mark-" + name, started, ok=True, status=204, mark=name)

    async def mark(self, name):
        """mark_sync for coroutine scenarios (it blocks the loop for the mark's round trip, on purpose: the
        mark must be on the server before anything else the scenario does)."""
        self.mark_sync(name)

    def record(self, name, started, **fields):
        step = {"name": name, "startedAt": started, "elapsed": round(self.clock() - started, 4)}
        step.update(fields)
        self.steps.append(step)
        return step

    def record_error(self, name, started, exc, **fields):
        return self.record(name, started, ok=False, error=self._describe(self.module, exc), **fields)

    def gzip_reference(self, name, url):
        """Record step ``name``: the length and sha256 of a gzip body at url, decoded by the standard library
        alone (http.client for the bytes, zlib with wbits 31, at most 4 MiB of output per call), never by the
        client under test: the yardstick a decompression judge compares the client's decoded bytes with."""
        import hashlib
        import http.client
        import zlib

        started = self.clock()
        parts = urllib.parse.urlsplit(url)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        try:
            connection.request("GET", "%s?%s" % (parts.path, parts.query), headers=with_token({"Accept-Encoding": "gzip"}, self.token))
            response = connection.getresponse()
            inflate = zlib.decompressobj(31)
            digest = hashlib.sha256()
            length = 0
            while True:
                raw = response.read(64 * 1024)
                if not raw:
                    break
                out = inflate.decompress(raw, 4 * 1024 * 1024)
                while True:
                    digest.update(out)
                    length += len(out)
                    if not inflate.unconsumed_tail:
                        break
                    out = inflate.decompress(inflate.unconsumed_tail, 4 * 1024 * 1024)
            tail = inflate.flush()
            digest.update(tail)
            length += len(tail)
            self.record(name, started, ok=True, status=response.status, decoded_bytes=length, sha256=digest.hexdigest(), complete=inflate.eof)
        except Exception as exc:
            self.record_error(name, started, exc)
        finally:
            connection.close()

    def closing(self, client):
        """``with`` / ``async with ctx.closing(client)``: enter the client, and record (not raise) an error
        from closing it. Some broken releases fail on close after the behaviour under test; that is evidence too.
        """
        return _Closing(self, client)

    async def attempt(self, name, make_request, **fields):
        """Run one request (make_request returns an awaitable); record its status or the exception it raised.
        Cancellation is recorded, then re-raised."""
        started = self.clock()
        try:
            response = await make_request()
        except Exception as exc:  # the behaviour under test: record it, never hide it
            return self.record_error(name, started, exc, **fields)
        except BaseException:
            self.record(name, started, ok=False, cancelled=True, **fields)
            raise
        return self.record(name, started, ok=True, status=status_of(response), **fields)

    def attempt_sync(self, name, make_request, **fields):
        """attempt for synchronous clients: make_request() returns the response."""
        started = self.clock()
        try:
            response = make_request()
        except Exception as exc:  # the behaviour under test: record it, never hide it
            return self.record_error(name, started, exc, **fields)
        except BaseException:  # KeyboardInterrupt from the time limit, SystemExit
            self.record(name, started, ok=False, cancelled=True, **fields)
            raise
        return self.record(name, started, ok=True, status=status_of(response), **fields)


def status_of(response):
    """A response's status code, whichever attribute the client names it by (status_code, status)."""
    status = getattr(response, "status_code", None)
    return status if status is not None else getattr(response, "status", None)


class _Closing:
    """Works with ``async with`` (an async client's __aenter__/__aexit__) and ``with`` (a sync client's
    __enter__/__exit__, or close() when it has no context protocol)."""

    def __init__(self, ctx, client):
        self.ctx, self.client = ctx, client

    async def __aenter__(self):
        return await self.client.__aenter__()

    async def __aexit__(self, *exc_info):
        started = self.ctx.clock()
        try:
            await self.client.__aexit__(*exc_info)
        except Exception as exc:
            self.ctx.record_error("close", started, exc)
        return False

    def __enter__(self):
        enter = getattr(self.client, "__enter__", None)
        return enter() if enter is not None else self.client

    def __exit__(self, *exc_info):
        started = self.ctx.clock()
        try:
            exit_ = getattr(self.client, "__exit__", None)
            if exit_ is not None:
                exit_(*exc_info)
            else:
                self.client.close()
        except Exception as exc:
            self.ctx.record_error("close", started, exc)
        return False


# ---------------------------------------------------------------------------------------------------------
# The run.


def _emit(payload):
    sys.stdout.write(RESULT_MARKER + json.dumps(payload, default=str) + "\n")
    sys.stdout.flush()


def read_input():
    """The case's JSON input: stdin, or the file REGRESS_INPUT names (the container runtime cannot feed stdin to an exec)."""
    input_file = os.environ.get("REGRESS_INPUT")
    if input_file:
        with open(input_file, encoding="utf-8") as handle:
            return json.load(handle)
    return json.loads(sys.stdin.read() or "{}")


def client_module_name(data, default_module=None):
    """The client's import name: the input's clientModule, else REGRESS_CLIENT_MODULE, else the family's default."""
    return data.get("clientModule") or os.environ.get("REGRESS_CLIENT_MODULE") or default_module


def _run_scenario(scenario, ctx):
    """A coroutine function's coroutine in a fresh event loop; a plain function as it is."""
    result = scenario(ctx)
    if inspect.isawaitable(result):
        import asyncio

        if not inspect.iscoroutine(result):
            awaitable = result

            async def wrapper():
                return await awaitable

            result = wrapper()
        asyncio.run(result)


def run(scenario, classify=None, describe=None, context=None, default_module=None):
    """Run a scenario under the contract and print its one result line.

    classify(exc) gives an error's kind; describe(module, exc) its description (default: describe_with(classify));
    context(data, module) makes the scenario's context (default: a core Context); default_module is the
    import name when neither the input nor the environment names one.
    """
    classify = classify or classify_common
    describe = describe or describe_with(classify)
    data = read_input()
    module_name = client_module_name(data, default_module)
    try:
        if not module_name:
            raise ImportError("no client module named (input clientModule, env REGRESS_CLIENT_MODULE)")
        module = importlib.import_module(module_name)
    except BaseException as exc:  # e.g. an old release on a Python that dropped a module it imports
        # A client that cannot be imported is broken, never "not applicable": the gate must not pass it.
        _emit({
            "status": "crashed",
            "phase": "import",
            "reason": "import %s failed: %s: %s" % (module_name, type(exc).__name__, exc),
            "error": describe(None, exc),
            "steps": [],
            "facts": {"traceback": traceback.format_exc()[-2000:]},
        })
        return
    try:
        ctx = context(data, module) if context is not None else Context(data, module, describe)
    except BaseException as exc:  # the contract cannot drive this release at all: an error, with why
        _emit({
            "status": "crashed",
            "phase": "contract",
            "reason": "the contract could not prepare %s: %s: %s" % (module_name, type(exc).__name__, exc),
            "error": describe(module, exc),
            "steps": [],
            "facts": {"traceback": traceback.format_exc()[-2000:]},
        })
        return
    # The level the scenario starts from (after the imports): the growth is peak_rss_kib - start_rss_kib.
    start_rss, rss_source = _rss_high_water()
    try:
        _run_scenario(scenario, ctx)
    except NotApplicable as exc:
        payload = {"status": "not-applicable", "reason": str(exc)}
    except BaseException as exc:
        ctx.facts["traceback"] = traceback.format_exc()[-2000:]
        payload = {"status": "crashed", "reason": "%s: %s" % (type(exc).__name__, exc), "error": describe(module, exc)}
    else:
        payload = {"status": "ok"}
    if start_rss is not None:
        ctx.facts["start_rss_kib"] = start_rss
        ctx.facts["peak_rss_kib"] = _rss_high_water()[0]
        ctx.facts["rss_source"] = rss_source
    payload["steps"] = ctx.steps
    payload["facts"] = ctx.facts
    _emit(payload)
