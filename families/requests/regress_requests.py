"""The requests family's contract: requests (on whichever urllib3 it was installed with).

A scenario's client program is a plain (synchronous) function ``scenario(ctx)``, run by
``regress_requests.main(scenario)`` under the contract every family shares (regress_core.run: the case's
JSON input in, one ``REGRESS-RESULT {json}`` line out). Use the sessions the context's API builds, so every
request carries the run's client token header (``x-regress-client``, in ``session.headers``), by which the
fixtures tell the client under test from other processes:

    import regress_requests as rr

    def scenario(ctx):
        session = ctx.api.session(adapter=ctx.api.adapter(pool_maxsize=1, pool_block=True))
        with ctx.closing(session):
            ctx.attempt("get", lambda: session.get(ctx.input["url"] + "/x", timeout=(5, 5)))

    rr.main(scenario)

Supported: requests 2.20 - 2.34 on urllib3 1.24 - 2.x. Features are detected by signature, never by version
number: an SSLContext reaches the pools through ``HTTPAdapter.init_poolmanager(**pool_kwargs)`` (the hook
requests documents for subclasses) where urllib3's HTTPSConnection takes ``ssl_context``.

requests has no pool timeout: with ``pool_block=True`` a request waits for a free connection as long as it
takes (urllib3's EmptyPoolError, kind ``pool-timeout``, is raised only when a pool_timeout is given, which
requests never gives). A scenario bounds such a wait itself.
"""

import re
import sys

import regress_core
from regress_core import (  # noqa: F401  (the names client programs use as rr.X)
    TOKEN_HEADER,
    NotApplicable,
    Unsupported,
    _params,
    _takes_any_keyword,
    with_token,
)

# What a case imports on its first request: imported once by the warm worker (worker.py) before it forks.
PRELOAD = ["http.client", "ssl", "urllib3", "urllib3.poolmanager", "urllib3.util.retry", "urllib3.util.ssl_", "certifi", "idna", "charset_normalizer", "chardet", "requests.adapters", "requests.sessions"]

_TUNNEL_407 = re.compile(r"Tunnel connection failed: 407")


def _classes(module_name, names):
    """The classes of those names in a loaded module (a release that lacks one simply does not have it)."""
    module = sys.modules.get(module_name)
    found = [getattr(module, n, None) for n in names] if module is not None else []
    return tuple(c for c in found if isinstance(c, type))


def _any(chain, module_name, *names):
    classes = _classes(module_name, names)
    return next((e for e in chain if classes and isinstance(e, classes)), None)


def _requests(chain, *names):
    return _any(chain, "requests.exceptions", *names)


def _urllib3(chain, *names):
    return _any(chain, "urllib3.exceptions", *names)


def urllib3_kind(chain):
    """What urllib3's exceptions in the chain say (requests wraps them). The same rules as regress_urllib3's
    urllib3_kind, which this family cannot import (each family's folder is on the path alone)."""
    if _urllib3(chain, "EmptyPoolError"):
        return "pool-timeout"
    if _urllib3(chain, "ClosedPoolError"):
        return "pool-closed"
    text = " | ".join(str(e) for e in chain)
    if _TUNNEL_407.search(text):
        return "proxy-auth"
    if _urllib3(chain, "ProxyError"):
        return "proxy"
    response_error = _urllib3(chain, "ResponseError")
    if response_error is not None:
        return "too-many-redirects" if "redirect" in str(response_error).lower() else "too-many-retries"
    for e in chain:
        if isinstance(e, _classes("urllib3.exceptions", ("ConnectTimeoutError",))) and not isinstance(e, _classes("urllib3.exceptions", ("NewConnectionError",))):
            return "connect-timeout"
    if _urllib3(chain, "ReadTimeoutError"):
        return "read-timeout"
    if _urllib3(chain, "DecodeError"):
        return "decode"
    return None


def classify(exc):
    """A kind for an exception: requests' own classes first, then what urllib3's and the standard library's
    exceptions behind it say (regress_core.links follows requests' wrapping: args, MaxRetryError.reason)."""
    chain = regress_core.links(exc)
    if _requests(chain, "TooManyRedirects"):
        return "too-many-redirects"
    if _TUNNEL_407.search(" | ".join(str(e) for e in chain)):
        return "proxy-auth"
    if _requests(chain, "ProxyError"):
        return "proxy"
    if _requests(chain, "ConnectTimeout"):
        return "connect-timeout"
    if _requests(chain, "ReadTimeout"):
        return "read-timeout"
    if _requests(chain, "ContentDecodingError"):
        return "decode"
    if _requests(chain, "RetryError"):
        return "too-many-retries"
    kind = urllib3_kind(chain) or regress_core.classify_common(exc, chain)
    if kind != "other":
        return kind
    # requests' and urllib3's wrappers whose cause the standard library's kinds did not name.
    if _requests(chain, "SSLError") or _urllib3(chain, "SSLError"):
        return "tls"
    if _requests(chain, "ChunkedEncodingError") or _urllib3(chain, "ProtocolError", "InvalidChunkLength"):
        return "protocol"
    if _requests(chain, "ConnectionError") or _urllib3(chain, "NewConnectionError"):
        return "connect"
    return kind


def _pool_params():
    """What a PoolManager's keyword arguments may name in this urllib3: its own, its pools', its connections'
    (1.26's HTTPConnection hands the rest to http.client's; socket_options it pops before that). The same
    as regress_urllib3's Api.pool_params."""
    import http.client

    import urllib3.connection
    import urllib3.connectionpool
    import urllib3.poolmanager

    accepted = set()
    for fn in (
        urllib3.poolmanager.PoolManager.__init__,
        urllib3.connectionpool.HTTPSConnectionPool.__init__,
        urllib3.connection.HTTPSConnection.__init__,
        urllib3.connection.HTTPConnection.__init__,
    ):
        accepted |= _params(fn)
    if _takes_any_keyword(urllib3.connection.HTTPConnection.__init__):
        accepted |= _params(http.client.HTTPConnection.__init__)  # 1.26 passes the rest on to http.client
    if hasattr(urllib3.connection.HTTPConnection, "default_socket_options"):
        accepted.add("socket_options")
    return accepted - {"self", "args", "kw", "kwargs", "conn_kw", "connection_pool_kw", "host", "port"}


def _namespaces():
    return [sys.modules.get("requests.exceptions"), sys.modules.get("urllib3.exceptions")]


# requests.exceptions.SSLError (requests re-exports some at its top level too: one public name, always this one).
describe_error = regress_core.describe_with(classify, _namespaces)


class Api:
    """Builds sessions, adapters and retries that carry the run's token, in the form this release takes."""

    def __init__(self, module, token=None):
        self.module = module
        self.token = token
        import requests.adapters
        import urllib3.connection
        import urllib3.util.retry

        self.adapter_class = requests.adapters.HTTPAdapter
        self.adapter_params = _params(self.adapter_class.__init__) - {"self"}
        self.retry_class = urllib3.util.retry.Retry
        self.retry_params = _params(self.retry_class.__init__) - {"self"}
        # An SSLContext for the pools: init_poolmanager passes extra keywords to the PoolManager, which hands
        # them to its HTTPS connections; both must take it.
        self.supports_ssl_context = _takes_any_keyword(self.adapter_class.init_poolmanager) and "ssl_context" in _params(
            urllib3.connection.HTTPSConnection.__init__
        )
        self.pool_params = _pool_params()

    def headers(self, extra=None):
        """extra (or nothing) with the run's client token added."""
        return with_token(extra, self.token)

    def session(self, adapter=None, headers=None, **attributes):
        """A requests.Session whose requests carry the run's token (session.headers), with adapter mounted for
        http:// and https:// when given, and attributes set as the session's own (verify, cert, proxies,
        trust_env, max_redirects, ...). Unsupported for an attribute this release's Session does not have."""
        session = self.module.Session()
        session.headers.update(self.headers(headers))
        for name, value in attributes.items():
            if not hasattr(session, name):
                raise Unsupported("%s.Session has no attribute %r" % (self.module.__name__, name))
            setattr(session, name, value)
        if adapter is not None:
            session.mount("http://", adapter)
            session.mount("https://", adapter)
        return session

    def adapter(self, pool_connections=None, pool_maxsize=None, pool_block=None, max_retries=None, ssl_context=None, **pool_kwargs):
        """An HTTPAdapter: pool_connections (pools kept), pool_maxsize (connections kept per pool), pool_block
        (wait for a free connection instead of opening one more), max_retries (an int or ``retry(...)``), and
        given an ssl_context (or other PoolManager keywords), an HTTPAdapter subclass whose init_poolmanager
        passes them on, the way requests' documentation has users do it. Unsupported where the release cannot."""
        given = {
            k: v
            for k, v in (("pool_connections", pool_connections), ("pool_maxsize", pool_maxsize), ("pool_block", pool_block), ("max_retries", max_retries))
            if v is not None
        }
        missing = sorted(set(given) - self.adapter_params)
        if missing:
            raise Unsupported("%s.HTTPAdapter has no %s parameter" % (self.module.__name__, ", ".join(missing)))
        extra = dict(pool_kwargs)
        unknown = sorted(set(extra) - self.pool_params)
        if unknown:
            raise Unsupported("urllib3's PoolManager cannot take %s in this release" % ", ".join(unknown))
        if ssl_context is not None:
            if not self.supports_ssl_context:
                raise Unsupported("this requests/urllib3 pair cannot hand an ssl_context to its pools (init_poolmanager / HTTPSConnection)")
            extra["ssl_context"] = ssl_context
        if not extra:
            return self.adapter_class(**given)
        if not _takes_any_keyword(self.adapter_class.init_poolmanager):
            raise Unsupported("%s.HTTPAdapter.init_poolmanager takes no pool keywords" % self.module.__name__)

        class PoolKeywordsAdapter(self.adapter_class):
            """HTTPAdapter whose PoolManager gets the scenario's keywords (ssl_context, ...)."""

            def init_poolmanager(self, *args, **kwargs):
                kwargs.update(extra)
                return super().init_poolmanager(*args, **kwargs)

        return PoolKeywordsAdapter(**given)

    def retry(self, **kwargs):
        """urllib3's Retry (for adapter(max_retries=)), in this release's spelling: allowed_methods= is passed as
        method_whitelist= where urllib3 has only that (before 1.26), and the other way round."""
        kwargs = dict(kwargs)
        for new, old in (("allowed_methods", "method_whitelist"), ("method_whitelist", "allowed_methods")):
            if new in kwargs and new not in self.retry_params and old in self.retry_params:
                kwargs[old] = kwargs.pop(new)
        missing = sorted(set(kwargs) - self.retry_params)
        if missing:
            raise Unsupported("urllib3.Retry has no %s parameter (it takes %s)" % (", ".join(missing), ", ".join(sorted(self.retry_params))))
        return self.retry_class(**kwargs)


class Context(regress_core.Context):
    """A scenario's context (regress_core.Context) with ``ctx.requests`` (the module) and ``ctx.api`` (Api).

    The scenario is synchronous, so ``ctx.attempt`` and ``ctx.mark`` are the synchronous ones (attempt_sync,
    mark_sync): a call without ``await`` does what it says. ``with ctx.closing(session)`` closes the session
    and records an error from closing it as a ``close`` step."""

    def __init__(self, data, module):
        super().__init__(data, module, describe=describe_error)
        self.requests = module
        self.api = Api(module, self.token)

    def attempt(self, name, make_request, **fields):
        return self.attempt_sync(name, make_request, **fields)

    def mark(self, name):
        return self.mark_sync(name)

    def session(self, **kwargs):
        """ctx.api.session(...)."""
        return self.api.session(**kwargs)


def main(scenario):
    """Run scenario(ctx), a plain function, under the contract and print its one result line."""
    regress_core.run(scenario, classify, describe_error, context=Context, default_module="requests")
