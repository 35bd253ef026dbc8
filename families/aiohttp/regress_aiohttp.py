"""The aiohttp family's contract: aiohttp's client (ClientSession, TCPConnector, ClientTimeout).

A scenario's client program is a coroutine function ``scenario(ctx)``, run by ``regress_aiohttp.main(scenario)``
under the contract every family shares (regress_core.run: the case's JSON input in, one
``REGRESS-RESULT {json}`` line out, the coroutine in a fresh event loop). Use the sessions the context's API
builds, so every request carries the run's client token header (``x-regress-client``, a default header of
the session), by which the fixtures tell the client under test from other processes:

    import regress_aiohttp as ra

    async def scenario(ctx):
        session = ctx.api.session(connector=ctx.api.connector(limit=1), timeout=ctx.api.timeout(total=10))
        async with ctx.closing(session):
            await ctx.attempt("get", lambda: ctx.api.fetch(session, "GET", ctx.input["url"] + "/x"))

    ra.main(scenario)

An aiohttp response holds its connection until its body is read and it is released, so a step reads the body
inside the request: ``ctx.api.fetch`` returns ``(status, body bytes)``, and ``ctx.attempt`` records the status
and ``bodyBytes`` (given a bare response, e.g. ``session.get(url)``, it reads and releases it itself). An error
while reading the body (a payload cut short, a bad gzip stream) is the step's error, as it is for the user.

Supported: aiohttp 3.8 - 3.14. Settings are detected by signature, never by version number: a keyword the
release's ClientSession, TCPConnector or ClientTimeout does not take is ``Unsupported`` (e.g.
``ClientTimeout(ceil_threshold=)`` before 3.9, ``TCPConnector(happy_eyeballs_delay=)`` before 3.10).

Error kinds (``classify``) are the shared ones, each checked on the exception a real release raises against a
loopback server (test/python/check_regress_aiohttp.py, run with 3.14.5, 3.13.5, 3.10.0, 3.9.5 and 3.8.2 on
Python 3.11, 3.8.1 on 3.10): certificate and hostname (ClientConnectorCertificateError, by the verify code
of the SSLCertVerificationError it holds), connect (ClientConnectorError), remote-disconnected
(ServerDisconnectedError; ClientPayloadError "Response payload is not completed" for a body cut short;
ClientOSError ECONNRESET), read-timeout (SocketTimeoutError from 3.10, ServerTimeoutError "Timeout on
reading data from socket" before), connect-timeout (ConnectionTimeoutError / ServerTimeoutError "Connection
timeout to host", for connect= and sock_connect=), timeout (a bare asyncio.TimeoutError: total=),
too-many-redirects (TooManyRedirects), decode (ClientPayloadError "Can not decode content-encoding"),
proxy (ClientProxyConnectionError), proxy-auth (ClientHttpProxyError 407), pool-timeout (below).

pool-timeout: aiohttp has no exception of its own for a connection-acquire timeout. A full pool
(``TCPConnector(limit=)``) waited on past ``ClientTimeout(connect=)`` raises what a connect timeout raises
(``ConnectionTimeoutError`` from 3.10, ``ServerTimeoutError("Connection timeout to host ...")`` before), and
past ``total=`` a bare asyncio.TimeoutError: which wait it was is read from where the cancelled wait was, in
the exception chain's tracebacks (the connector's wait for a free slot, or its connection creation).
"""

import asyncio
import errno
import re
import sys

import regress_core
from regress_core import (  # noqa: F401  (the names client programs use as ra.X)
    TOKEN_HEADER,
    NotApplicable,
    Unsupported,
    _params,
    _takes_any_keyword,
    with_token,
)

# What a case imports on its first request: imported once by the warm worker (worker.py) before it forks.
# `import aiohttp` loads the client, connector and parser modules itself (and builds its default SSL contexts,
# parsing certifi's or the system's bundle once); the rest are what a first request reaches.
PRELOAD = [
    "asyncio", "ssl", "zlib", "aiohttp", "aiohttp.client", "aiohttp.connector", "aiohttp.client_proto", "aiohttp.client_reqrep",
    "aiohttp.http_parser", "aiohttp.streams", "aiohttp.compression_utils", "aiohappyeyeballs", "yarl", "multidict", "frozenlist",
    "aiosignal", "propcache", "attr", "async_timeout", "brotli", "aiodns",
]

# What `regress soak` counts the live objects of (soak_driver.py): the client and what it runs on.
SOAK_PACKAGES = ("aiohttp", "aiohappyeyeballs", "yarl", "multidict", "async_timeout")

# Where a timed-out wait was cancelled, by the connector's frames (aiohttp/connector.py): creating a connection
# (a connect timeout), or waiting for a free connection slot (the pool: `await fut` in connect() before 3.11's
# _wait_for_available_connection).
_CREATE_FRAMES = {"_create_connection", "_create_direct_connection", "_create_proxy_connection", "_wrap_create_connection", "_resolve_host"}
_POOL_WAIT_FRAMES = {"_wait_for_available_connection"}
_NOT_COMPLETED = re.compile(r"not completed|not enough data|payload is not completed|connection lost", re.I)
_DECODE = re.compile(r"decode|content-encoding|decompress", re.I)
_RESET_ERRNOS = {getattr(errno, n) for n in ("ECONNRESET", "EPIPE", "ECONNABORTED") if hasattr(errno, n)}


def _aiohttp(chain, *names):
    """The first exception in the chain that is one of aiohttp's classes of those names (a release that lacks
    a class simply does not have it)."""
    module = sys.modules.get("aiohttp")
    classes = tuple(c for c in (getattr(module, n, None) for n in names) if isinstance(c, type)) if module else ()
    return next((e for e in chain if classes and isinstance(e, classes)), None)


def _http_exception(chain, *names):
    """The first exception of aiohttp.http_exceptions' classes of those names (the parser's errors)."""
    module = sys.modules.get("aiohttp.http_exceptions")
    classes = tuple(c for c in (getattr(module, n, None) for n in names) if isinstance(c, type)) if module else ()
    return next((e for e in chain if classes and isinstance(e, classes)), None)


def _connector_frames(chain):
    """The names of aiohttp's connector functions every exception in the chain passed through."""
    names = set()
    for e in chain:
        tb = e.__traceback__
        while tb is not None:
            code = tb.tb_frame.f_code
            if code.co_filename.replace("\\", "/").endswith("aiohttp/connector.py"):
                names.add(code.co_name)
            tb = tb.tb_next
    return names


def _wait_kind(chain):
    """pool-timeout or connect-timeout for a timed-out connector.connect(), by where it was waiting; None when
    no connector frame is in the chain (a total timeout elsewhere)."""
    frames = _connector_frames(chain)
    if frames & _CREATE_FRAMES:
        return "connect-timeout"
    if frames & _POOL_WAIT_FRAMES or "connect" in frames:
        return "pool-timeout"
    return None


def classify(exc):
    """A kind for an exception: aiohttp's own classes first, then the standard library's behind them
    (regress_core.links follows __cause__/__context__ and the exceptions aiohttp keeps in args, such as
    ClientConnectorError's os_error and ClientConnectorCertificateError's certificate_error)."""
    chain = regress_core.links(exc)
    if _aiohttp(chain, "TooManyRedirects"):
        return "too-many-redirects"
    proxy_error = _aiohttp(chain, "ClientHttpProxyError")
    if proxy_error is not None:
        return "proxy-auth" if getattr(proxy_error, "status", None) == 407 else "proxy"
    if _aiohttp(chain, "ClientProxyConnectionError"):
        return "proxy"
    if _aiohttp(chain, "ClientConnectorCertificateError", "ServerFingerprintMismatch"):
        return regress_core.tls_kind(chain) or "certificate"
    if _aiohttp(chain, "ClientSSLError"):
        return regress_core.tls_kind(chain) or "tls"
    # Timeouts: aiohttp's classes say which phase, except that a pool wait and a connect share one.
    connect_timeout = _aiohttp(chain, "ConnectionTimeoutError")
    socket_timeout = _aiohttp(chain, "SocketTimeoutError")
    server_timeout = _aiohttp(chain, "ServerTimeoutError")
    if connect_timeout is not None or (server_timeout is not None and socket_timeout is None and str(server_timeout).startswith("Connection timeout")):
        return _wait_kind(chain) or "connect-timeout"
    if socket_timeout is not None or server_timeout is not None:
        return "read-timeout"  # "Timeout on reading data from socket": sock_read
    # asyncio.TimeoutError is the builtin TimeoutError from Python 3.11; a class of its own before.
    if any(regress_core._is_timeout(e) or isinstance(e, asyncio.TimeoutError) for e in chain):
        # A bare asyncio.TimeoutError: ClientTimeout(total=) (or a scenario's own wait_for); a total timeout
        # that expired in the connector's wait for a slot is still a pool wait.
        return _wait_kind(chain) or "timeout"
    payload_error = _aiohttp(chain, "ClientPayloadError")
    if payload_error is not None:
        if _http_exception(chain, "ContentEncodingError") or any(_DECODE.search(str(e)) for e in chain):
            return "decode"
        if _http_exception(chain, "ContentLengthError") or any(_NOT_COMPLETED.search(str(e)) for e in chain):
            return "remote-disconnected"  # the body cut short: http.client's IncompleteRead for the others
        return "protocol"
    if _aiohttp(chain, "ServerDisconnectedError", "ClientConnectionResetError"):
        return "remote-disconnected"
    os_error = _aiohttp(chain, "ClientOSError")
    if os_error is not None and not _aiohttp(chain, "ClientConnectorError") and getattr(os_error, "errno", None) in _RESET_ERRNOS:
        return "remote-disconnected"
    kind = regress_core.classify_common(exc, chain)
    if kind != "other":
        return kind
    if _aiohttp(chain, "ClientConnectorError"):
        return "connect"
    if _aiohttp(chain, "ClientResponseError") and _http_exception(chain, "BadHttpMessage", "BadStatusLine", "LineTooLong"):
        return "protocol"
    if _http_exception(chain, "HttpProcessingError"):
        return "protocol"
    return kind


def _namespaces():
    # aiohttp re-exports every client exception at its top level: aiohttp.ServerDisconnectedError, not
    # aiohttp.client_exceptions.ServerDisconnectedError.
    # asyncio.TimeoutError (a total timeout) on every Python: builtins.TimeoutError from 3.11, its own class before.
    return [sys.modules.get("aiohttp"), sys.modules.get("aiohttp.http_exceptions"), sys.modules.get("asyncio")]


describe_error = regress_core.describe_with(classify, _namespaces)


def _checked(callable_, kwargs, what):
    """kwargs, unless one is a keyword callable_ does not take in this release (Unsupported, naming what it takes)."""
    accepted = _params(callable_) - {"self"}
    unknown = sorted(k for k in kwargs if k not in accepted)
    if unknown and not _takes_any_keyword(callable_):
        raise Unsupported("%s has no %s parameter (it takes %s)" % (what, ", ".join(unknown), ", ".join(sorted(accepted - {"loop"}))))
    return kwargs


class Api:
    """Builds sessions, connectors and timeouts that carry the run's token, in the form this release takes."""

    def __init__(self, module, token=None):
        self.module = module
        self.token = token
        self.session_params = _params(module.ClientSession.__init__) - {"self"}
        self.connector_params = _params(module.TCPConnector.__init__) - {"self"}
        self.timeout_params = _params(module.ClientTimeout) - {"self"}

    def headers(self, extra=None):
        """extra (or nothing) with the run's client token added."""
        return with_token(extra, self.token)

    def session(self, connector=None, timeout=None, headers=None, **kwargs):
        """An aiohttp.ClientSession whose requests carry the run's token (its default headers), on connector
        (a TCPConnector, e.g. ``connector(...)``; the release's default when None) with timeout (a
        ClientTimeout, e.g. ``timeout(...)``; the release's default when None), and any other ClientSession
        keyword (cookie_jar, trust_env, auto_decompress, raise_for_status, ...). Make it inside the scenario's
        coroutine (older releases bind it to the running loop)."""
        kwargs = _checked(self.module.ClientSession.__init__, kwargs, "%s.ClientSession" % self.module.__name__)
        if connector is not None:
            kwargs["connector"] = connector
        if timeout is not None:
            kwargs["timeout"] = timeout
        return self.module.ClientSession(headers=self.headers(headers), **kwargs)

    def connector(self, **kwargs):
        """An aiohttp.TCPConnector: limit (connections in all), limit_per_host, ssl (False, an SSLContext, a
        Fingerprint), keepalive_timeout, force_close, enable_cleanup_closed, local_addr, ... as this release
        takes them (Unsupported otherwise)."""
        return self.module.TCPConnector(**_checked(self.module.TCPConnector.__init__, kwargs, "%s.TCPConnector" % self.module.__name__))

    def timeout(self, **kwargs):
        """An aiohttp.ClientTimeout: total, connect (the pool wait and the connection together), sock_connect,
        sock_read, ceil_threshold (3.9+); None is "no limit", as aiohttp has it."""
        return self.module.ClientTimeout(**_checked(self.module.ClientTimeout, kwargs, "%s.ClientTimeout" % self.module.__name__))

    async def fetch(self, session, method, url, **kwargs):
        """One request through session, its body read whole and the response released: (status, body bytes)."""
        async with session.request(method, url, **kwargs) as response:
            body = await response.read()
            return response.status, body

    async def fetch_counted(self, session, method, url, chunk_size=65536, **kwargs):
        """fetch for a large body: read in chunks of at most chunk_size and counted, never held whole (a
        decompression bomb's decoded size without its memory): (status, bytes read)."""
        async with session.request(method, url, **kwargs) as response:
            count = 0
            async for chunk in response.content.iter_chunked(chunk_size):
                count += len(chunk)
            return response.status, count


async def _read_whole(result):
    """(status, body) from what a step's request gave: fetch's pair, or a response this reads and releases."""
    if isinstance(result, tuple) and len(result) == 2:
        return result  # fetch's (status, body) or fetch_counted's (status, count)
    read = getattr(result, "read", None)
    if read is None:
        return regress_core.status_of(result), None
    try:
        body = await read()
    finally:
        result.release()
    return result.status, body


class Context(regress_core.Context):
    """A scenario's context (regress_core.Context) with ``ctx.aiohttp`` (the module) and ``ctx.api`` (Api).

    ``await ctx.attempt(name, make_request)``: make_request() returns an awaitable (``ctx.api.fetch(...)``, or
    a bare ``session.get(url)``); the step records the status and the body's length (``bodyBytes``), or the
    exception raised while sending, waiting or reading. ``async with ctx.closing(session)`` closes the session
    and records an error from closing it as a ``close`` step."""

    def __init__(self, data, module):
        super().__init__(data, module, describe=describe_error)
        self.aiohttp = module
        self.api = Api(module, self.token)
        self.facts["aiohttp_version"] = getattr(module, "__version__", None)

    async def attempt(self, name, make_request, **fields):
        started = self.clock()
        try:
            status, body = await _read_whole(await make_request())
        except Exception as exc:  # the behaviour under test: record it, never hide it
            return self.record_error(name, started, exc, **fields)
        except BaseException:
            self.record(name, started, ok=False, cancelled=True, **fields)
            raise
        extra = {"bodyBytes": body if isinstance(body, int) else len(body)} if body is not None else {}
        return self.record(name, started, ok=True, status=status, **extra, **fields)

    def session(self, **kwargs):
        """ctx.api.session(...)."""
        return self.api.session(**kwargs)


def main(scenario):
    """Run scenario(ctx), a coroutine function, under the contract and print its one result line."""
    regress_core.run(scenario, classify, describe_error, context=Context, default_module="aiohttp")
