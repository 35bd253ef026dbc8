"""The httpx family's contract: the client-side half of the harness contract for httpx (and httpx2), and the one
place that knows how httpx's API changed.

A scenario's client program calls ``regress_compat.main(scenario)`` with a coroutine function. The contract
itself (read the case's JSON input, import the client under test, run the scenario, print exactly one
``REGRESS-RESULT {json}`` line with ``steps``, ``facts`` and a status ``ok`` / ``not-applicable`` /
``crashed``) is regress_core's, shared by every client family; this module adds httpx's API eras (``Api``),
its error kinds (``classify``) and its context (``ctx.httpx``, ``ctx.api``). Every name client programs
use (``rc.main``, ``rc.NotApplicable``, ``rc.Unsupported``, ``rc.Context``, ``rc.describe_error``,
``rc.release_ssl_context``, ``rc.read_input``, ``rc._emit``, ...) stays here.

Every client made through ``Api.async_client`` sends the run's client token header, by which the fixtures
tell the client under test from other processes that connect to them; ``ctx.mark(name)`` notes a moment on
the fixture clock (a separate control server, not counted as the client's traffic).

API eras, detected by feature (signatures), never by version number:

* ``PoolLimits(soft_limit, hard_limit)``            0.9 - 0.12, ``pool_limits=``, ``Timeout(pool_timeout=)``
* ``PoolLimits(max_keepalive, max_connections)``    0.13, ``pool_limits=``, ``Timeout(pool_timeout=)``
* ``Limits(max_keepalive_connections, max_connections[, keepalive_expiry])``  0.14+, ``limits=``,
  ``Timeout(pool=)``; ``keepalive_expiry`` from 0.17
* ``httpx2`` (the 2026 fork) has the 0.28 API under another import name.
"""

import importlib
import importlib.util
import ssl
import warnings

import regress_core
from regress_core import (  # noqa: F401  (the names client programs use as rc.X)
    RESULT_MARKER,
    TOKEN_HEADER,
    NotApplicable,
    Unsupported,
    _chain,
    _Closing,
    _emit,
    _params,
    read_input,
)

# What a case imports on its first request (httpx >= 0.28 imports httpcore lazily; anyio loads its asyncio
# backend on first use): the warm worker (worker.py) imports these once, before it forks, instead of in
# every case. Only packages that are installed; a failure is the case's to meet.
PRELOAD = [
    "asyncio", "anyio", "anyio._backends._asyncio", "anyio.streams.tls", "anyio.streams.memory", "sniffio", "certifi", "h11", "h2.connection",
    "httpcore", "httpcore._async", "httpcore._backends.anyio", "httpcore._backends.auto",
    "httpcore2", "httpcore2._async", "httpcore2._backends.anyio", "httpcore2._backends.auto",
]


def prewarm(module):
    """The warm worker's hook, after PRELOAD: the release's transport module, and its default TLS context
    (Api.async_client gives it to clients that set no TLS arguments), built once and inherited by every case.
    Imports and memory only: nothing that opens a socket or a thread."""
    try:
        importlib.import_module(module.__name__ + "._transports.default")
    except BaseException:
        pass  # the case imports it itself (and meets the same failure)
    default_client_context(module)


def release_ssl_context(module, ca):
    """The SSLContext the release itself would build for ``verify=ca`` (or its default), and how it was made:
    its ``create_ssl_context`` (public in 0.18+, in ``_config`` from 0.14), else ``SSLConfig``'s
    ``load_ssl_context`` (``config`` in 0.10 - 0.11, ``_config`` in 0.12 - 0.13), the same code its
    transports call."""
    verify = ca if ca else True
    # httpx 0.10 and 0.11 keep their config in the public ``httpx.config``; later releases in ``_config``.
    config_name = "_config" if hasattr(module, "_config") else "config"
    config = getattr(module, config_name, None)
    with warnings.catch_warnings():
        # 0.28 deprecates verify=<path> in favour of an SSLContext; the context it builds is the same.
        warnings.simplefilter("ignore")
        for owner, label in ((module, module.__name__), (config, "%s.%s" % (module.__name__, config_name))):
            create = getattr(owner, "create_ssl_context", None)
            if create is not None:
                # As AsyncClient() calls it: trust_env on (0.14 - 0.16 default it to None, so
                # SSL_CERT_FILE / SSL_CERT_DIR would be ignored where the client honours them).
                kwargs = {"verify": verify}
                if "trust_env" in _params(create):
                    kwargs["trust_env"] = True
                return create(**kwargs), "%s.create_ssl_context" % label
        ssl_config = getattr(config, "SSLConfig", None)
        if ssl_config is not None:
            return ssl_config(verify=verify, trust_env=True).load_ssl_context(), "%s.%s.SSLConfig.load_ssl_context" % (module.__name__, config_name)
    # No such code in this release: what its documentation tells users to pass instead.
    return ssl.create_default_context(cafile=ca) if ca else ssl.create_default_context(), "ssl.create_default_context"


# The release's default context (verify=True), built once per process: see Api.async_client.
_default_contexts = {}


def default_client_context(module):
    """The context ``module.AsyncClient()`` would build for itself with no TLS arguments, built once per process
    (the warm worker builds it before it forks, so every case inherits it). None when the release cannot
    build it here: then each client builds its own and meets the same failure itself."""
    if module.__name__ not in _default_contexts:
        try:
            _default_contexts[module.__name__] = release_ssl_context(module, None)[0]
        except Exception:
            _default_contexts[module.__name__] = None
    return _default_contexts[module.__name__]


class Api:
    """Builds limits, timeouts and clients in whatever form this release accepts."""

    def __init__(self, module, token=None, plain_http=False, facts=None):
        self.module = module
        self.token = token
        # No https:// URL anywhere in the case's input: no client of the case can open a TLS connection.
        self.plain_http = plain_http
        self._facts = facts if facts is not None else {}
        self.client_params = _params(module.AsyncClient.__init__)
        self.limits_class = getattr(module, "Limits", None) or getattr(module, "PoolLimits", None)
        self.limits_params = _params(self.limits_class.__init__) if self.limits_class else set()
        self.timeout_params = _params(module.Timeout.__init__)

    @property
    def era(self):
        if "keepalive_expiry" in self.limits_params:
            return "Limits+keepalive_expiry"
        if hasattr(self.module, "Limits"):
            return "Limits"
        if "soft_limit" in self.limits_params and "max_keepalive" not in self.limits_params:
            return "PoolLimits(soft_limit, hard_limit)"
        return "PoolLimits(max_keepalive, max_connections)"

    @property
    def supports_keepalive_expiry(self):
        return "keepalive_expiry" in self.limits_params

    def limits_kwargs(self, max_connections=None, max_keepalive=None, keepalive_expiry=None):
        """Client keyword arguments that set the pool limits, e.g. {"limits": Limits(...)}."""
        if self.limits_class is None:
            raise Unsupported("this client has no pool limits configuration")
        if keepalive_expiry is not None and not self.supports_keepalive_expiry:
            raise Unsupported(
                "keepalive_expiry cannot be set: %s.%s%s has no such parameter"
                % (self.module.__name__, self.limits_class.__name__, "(" + ", ".join(sorted(self.limits_params - {"self"})) + ")")
            )
        kwargs = {}
        if "max_keepalive_connections" in self.limits_params:
            names = ("max_connections", "max_keepalive_connections")
        elif "soft_limit" in self.limits_params and "max_keepalive" not in self.limits_params:
            names = ("hard_limit", "soft_limit")
        else:
            names = ("max_connections", "max_keepalive")
        if max_connections is not None:
            kwargs[names[0]] = max_connections
        if max_keepalive is not None:
            kwargs[names[1]] = max_keepalive
        if keepalive_expiry is not None:
            kwargs["keepalive_expiry"] = keepalive_expiry
        keyword = "limits" if "limits" in self.client_params else "pool_limits"
        return {keyword: self.limits_class(**kwargs)}

    def timeout(self, connect, read, write, pool):
        """A Timeout with all four values set explicitly: the one form every era accepts."""
        suffix = "" if "pool" in self.timeout_params else "_timeout"
        return self.module.Timeout(
            **{"connect" + suffix: connect, "read" + suffix: read, "write" + suffix: write, "pool" + suffix: pool}
        )

    def require_http2(self):
        """Raise NotApplicable unless this release can speak HTTP/2 here: an http2= switch on AsyncClient and the
        h2 package beside it (a scenario's requires.extras installs it; an image may lack it)."""
        if "http2" not in self.client_params:
            raise NotApplicable("%s.AsyncClient has no http2= parameter: this release cannot express HTTP/2" % self.module.__name__)
        if importlib.util.find_spec("h2") is None:
            raise NotApplicable(
                "the h2 package is not installed, so %s cannot speak HTTP/2: run the spec with the http2 extra "
                "(e.g. %s[http2]==<version>)" % (self.module.__name__, self.module.__name__)
            )

    @staticmethod
    def http2_context(cafile):
        """A context trusting cafile that offers h2 by ALPN: httpx <= 0.12 sets ALPN only on contexts it builds
        itself; later releases (httpcore) set it on a given context too."""
        context = ssl.create_default_context(cafile=cafile)
        context.set_alpn_protocols(["h2", "http/1.1"])
        return context

    def async_client(self, **kwargs):
        """An AsyncClient whose requests carry the run's client token (a default header, public API).

        In a case whose input holds no https:// URL (so the context can never reach a socket), a client given
        no TLS arguments gets ``verify=`` the context the release itself builds for ``verify=True``
        (``default_client_context``: its own function, as its client calls it), made once per process
        instead of once per client: OpenSSL 3 parses certifi's whole bundle for every context, about 55 ms
        of CPU, which was a third of a matrix's CPU. Public API, recorded as the fact ``tls_context``. Cases
        that speak TLS, and clients given verify, cert, http2 or trust_env, build their own as before."""
        if self.plain_http and not kwargs.keys() & {"verify", "cert", "http2", "trust_env"}:
            context = default_client_context(self.module)
            if context is not None:
                kwargs["verify"] = context
                self._facts["tls_context"] = "shared: the release's default context, built once per worker (no https:// URL in this case)"
        if self.token:
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault(TOKEN_HEADER, self.token)
            kwargs["headers"] = headers
        return self.module.AsyncClient(**kwargs)


def _public_name(module, cls):
    for name in ("exceptions", None):
        namespace = getattr(module, name, None) if name else module
        if namespace is not None:
            for attr, value in vars(namespace).items():
                if value is cls and not attr.startswith("_"):
                    return "%s.%s" % (module.__name__, attr)
    return "%s.%s" % (cls.__module__, cls.__qualname__)


def classify(exc):
    """A version-independent kind for an exception, so judges need not know each era's classes."""
    names = {cls.__name__ for cls in type(exc).__mro__}
    chain = [exc]
    current = exc.__cause__ or exc.__context__
    while current is not None and current not in chain and len(chain) < 8:
        chain.append(current)
        current = current.__cause__ or current.__context__
    text = " ".join(str(e) for e in chain)
    for name, kind in (
        ("PoolTimeout", "pool-timeout"),
        ("ConnectTimeout", "connect-timeout"),
        ("ReadTimeout", "read-timeout"),
        ("WriteTimeout", "write-timeout"),
    ):
        if name in names:
            return kind
    if any(isinstance(e, ssl.SSLCertVerificationError) for e in chain) or "CERTIFICATE_VERIFY_FAILED" in text:
        return "certificate"
    if any(isinstance(e, ssl.SSLError) for e in chain):
        return "tls"
    if "RuntimeError" in names:
        return "runtime"
    if names & {"ConnectError", "NetworkError", "ConnectionError", "OSError"}:
        return "connect"
    if names & {"RemoteProtocolError", "ProtocolError", "LocalProtocolError"}:
        return "protocol"
    if names & {"TimeoutException", "TimeoutError", "Timeout"}:
        return "timeout"
    return "other"


def describe_error(module, exc):
    return {
        "type": _public_name(module, type(exc)) if module else type(exc).__qualname__,
        "kind": classify(exc),
        "message": str(exc)[:500],
        "chain": _chain(exc),
    }


def _mentions_https(value):
    """Whether any string in the case's input (however nested) holds an https:// URL."""
    if isinstance(value, str):
        return "https://" in value.lower()
    if isinstance(value, dict):
        return any(_mentions_https(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_mentions_https(v) for v in value)
    return False


class Context(regress_core.Context):
    """What a scenario gets: its input, the client module (also as ``ctx.httpx``), the era's API (``ctx.api``)
    and a step recorder (regress_core.Context: clock, fact, mark, record, record_error, closing, attempt)."""

    def __init__(self, data, module):
        super().__init__(data, module, describe=describe_error)
        self.httpx = module
        self.api = Api(module, self.token, plain_http=not _mentions_https(data), facts=self.facts)
        self.facts["api_era"] = self.api.era


def main(scenario):
    """Run the scenario coroutine under the contract (regress_core.run) and print its one result line."""
    regress_core.run(scenario, classify, describe_error, context=Context, default_module="httpx")
