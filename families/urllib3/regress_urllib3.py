"""The urllib3 family's contract: urllib3 used on its own (PoolManager, ProxyManager, connection pools).

A scenario's client program is a plain (synchronous) function ``scenario(ctx)``, run by
``regress_urllib3.main(scenario)`` under the contract every family shares (regress_core.run: the case's
JSON input in, one ``REGRESS-RESULT {json}`` line out). Use the managers the context's API builds, so every
request carries the run's client token header (``x-regress-client``), by which the fixtures tell the client
under test from other processes:

    import regress_urllib3 as ru

    def scenario(ctx):
        pm = ctx.api.pool_manager(maxsize=1, block=True, retries=ctx.api.retry(total=0))
        with ctx.closing(pm):
            ctx.attempt("get", lambda: pm.request("GET", ctx.input["url"] + "/x", timeout=ctx.api.timeout(connect=5, read=5)))

    ru.main(scenario)

urllib3 sends a PoolManager's ``headers=`` only with requests that give no ``headers`` of their own: a
request that needs its own headers passes ``headers=ctx.api.headers({...})``, which adds the token.

Supported: urllib3 1.26.x and 2.0 - 2.8. Features are detected by signature, never by version number
(``Retry(allowed_methods=)`` was ``method_whitelist=`` before 1.26; ``backoff_max=`` / ``backoff_jitter=``
exist only in 2.x; ``ssl_minimum_version=`` only in 2.x): ``ctx.api.supports(name)`` asks, and the builders
raise Unsupported for a keyword this release does not take.
"""

import re
import sys

import regress_core
from regress_core import (  # noqa: F401  (the names client programs use as ru.X)
    TOKEN_HEADER,
    NotApplicable,
    Unsupported,
    _params,
    _takes_any_keyword,
    with_token,
)

# What a case imports on its first request: imported once by the warm worker (worker.py) before it forks.
PRELOAD = ["http.client", "ssl", "urllib3", "urllib3.poolmanager", "urllib3.util.retry", "urllib3.util.ssl_"]

# The name urllib3's ProxyError / http.client's tunnel gives a proxy's refusal to authenticate the CONNECT.
_TUNNEL_407 = re.compile(r"Tunnel connection failed: 407")


def _classes(names, modules=("urllib3.exceptions",)):
    """The classes of those names in the loaded modules (a release that lacks one simply does not have it)."""
    found = []
    for module_name in modules:
        module = sys.modules.get(module_name)
        for name in names:
            cls = getattr(module, name, None) if module is not None else None
            if isinstance(cls, type):
                found.append(cls)
    return tuple(found)


def _any(chain, *names):
    classes = _classes(names)
    return next((e for e in chain if classes and isinstance(e, classes)), None)


def urllib3_kind(chain):
    """The kind urllib3's own exceptions in the chain say, before the standard library's (None: nothing urllib3-specific).

    MaxRetryError is no kind of its own: its reason (links() follows it) is what went wrong. The same rules
    live in regress_requests (requests wraps these exceptions), which cannot import this module.
    """
    if _any(chain, "EmptyPoolError"):
        return "pool-timeout"  # block=True and every connection in use past pool_timeout
    if _any(chain, "ClosedPoolError"):
        return "pool-closed"
    text = " | ".join(str(e) for e in chain)
    if _TUNNEL_407.search(text):
        return "proxy-auth"
    if _any(chain, "ProxyError"):
        return "proxy"
    response_error = _any(chain, "ResponseError")  # what Retry raises when a budget is spent on responses
    if response_error is not None:
        return "too-many-redirects" if "redirect" in str(response_error).lower() else "too-many-retries"
    for e in chain:
        if isinstance(e, _classes(("ConnectTimeoutError",))) and not isinstance(e, _classes(("NewConnectionError",))):
            return "connect-timeout"  # NewConnectionError subclasses ConnectTimeoutError, but is a failed connect
    if _any(chain, "ReadTimeoutError"):
        return "read-timeout"
    if _any(chain, "DecodeError"):
        return "decode"  # bad gzip / deflate / brotli data, "Too many content encodings in the chain"
    return None


def classify(exc):
    """A kind for an exception, the same names every family uses (regress_core.classify_common for the rest)."""
    chain = regress_core.links(exc)
    kind = urllib3_kind(chain) or regress_core.classify_common(exc, chain)
    if kind == "other":
        # urllib3's wrappers whose cause the standard library's kinds did not name.
        if _any(chain, "SSLError"):
            return "tls"
        if _any(chain, "NewConnectionError", "NameResolutionError"):
            return "connect"
        if _any(chain, "ProtocolError", "HeaderParsingError", "InvalidChunkLength", "ResponseNotChunked"):
            return "protocol"
    return kind


def _namespaces():
    return [sys.modules.get("urllib3.exceptions"), sys.modules.get("urllib3")]


# urllib3.exceptions.MaxRetryError rather than where a class is defined.
describe_error = regress_core.describe_with(classify, _namespaces)


class Api:
    """Builds managers, pools, retries and timeouts that carry the run's token, in the form this release takes."""

    def __init__(self, module, token=None):
        self.module = module
        self.token = token
        import urllib3.connection
        import urllib3.connectionpool
        import urllib3.util.retry

        self.retry_class = urllib3.util.retry.Retry
        self.retry_params = _params(self.retry_class.__init__) - {"self"}
        # What a PoolManager's keyword arguments may name: its own, its pools', its connections' (1.26's
        # HTTPConnection hands the rest to http.client's; socket_options it pops before that).
        import http.client

        accepted = set()
        for fn in (
            module.PoolManager.__init__,
            urllib3.connectionpool.HTTPSConnectionPool.__init__,
            urllib3.connection.HTTPSConnection.__init__,
            urllib3.connection.HTTPConnection.__init__,
        ):
            accepted |= _params(fn)
        if _takes_any_keyword(urllib3.connection.HTTPConnection.__init__):
            accepted |= _params(http.client.HTTPConnection.__init__)  # 1.26 passes the rest on to http.client
        if hasattr(urllib3.connection.HTTPConnection, "default_socket_options"):
            accepted.add("socket_options")
        self.pool_params = accepted - {"self", "args", "kw", "kwargs", "conn_kw", "connection_pool_kw", "host", "port"}

    def headers(self, extra=None):
        """extra (or nothing) with the run's client token added: for a request that passes its own headers."""
        return with_token(extra, self.token)

    def supports(self, *names):
        """Whether a PoolManager of this release takes every one of these keyword arguments."""
        return all(n in self.pool_params for n in names)

    def require(self, *names):
        missing = [n for n in names if n not in self.pool_params]
        if missing:
            raise Unsupported("%s's pools cannot take %s in this release" % (self.module.__name__, ", ".join(sorted(missing))))

    def pool_manager(self, headers=None, **kwargs):
        """A PoolManager whose requests carry the run's token (headers=, public API); kwargs as PoolManager takes
        them (num_pools, maxsize, block, retries, timeout, cert_reqs, ca_certs, ssl_context, ...)."""
        self.require(*kwargs)
        return self.module.PoolManager(headers=self.headers(headers), **kwargs)

    def proxy_manager(self, proxy_url, headers=None, proxy_headers=None, **kwargs):
        """A ProxyManager through proxy_url: the token on the requests (headers=) and on what the proxy itself
        sees, the CONNECT of a tunnel or the forwarded request (proxy_headers=)."""
        self.require(*(set(kwargs) - _params(self.module.ProxyManager.__init__)))
        return self.module.ProxyManager(proxy_url, headers=self.headers(headers), proxy_headers=self.headers(proxy_headers), **kwargs)

    def connection_pool(self, url, headers=None, **kwargs):
        """One host's pool (urllib3.connection_from_url), with the token: maxsize, block, retries, timeout, ..."""
        self.require(*kwargs)
        return self.module.connection_from_url(url, headers=self.headers(headers), **kwargs)

    def retry(self, **kwargs):
        """A Retry in this release's spelling: allowed_methods= is passed as method_whitelist= where the release
        has only that (before 1.26), and the other way round. Unsupported for a parameter it does not have."""
        kwargs = dict(kwargs)
        for new, old in (("allowed_methods", "method_whitelist"), ("method_whitelist", "allowed_methods")):
            if new in kwargs and new not in self.retry_params and old in self.retry_params:
                kwargs[old] = kwargs.pop(new)
        missing = sorted(set(kwargs) - self.retry_params)
        if missing:
            raise Unsupported(
                "%s.Retry has no %s parameter (it takes %s)" % (self.module.__name__, ", ".join(missing), ", ".join(sorted(self.retry_params)))
            )
        return self.retry_class(**kwargs)

    def timeout(self, connect=None, read=None, total=None):
        """urllib3.Timeout with the given parts (None: no limit for that part)."""
        return self.module.Timeout(connect=connect, read=read, total=total)


class Context(regress_core.Context):
    """A scenario's context (regress_core.Context) with ``ctx.urllib3`` (the module) and ``ctx.api`` (Api).

    The scenario is synchronous, so ``ctx.attempt`` and ``ctx.mark`` are the synchronous ones (attempt_sync,
    mark_sync): a call without ``await`` does what it says. ``with ctx.closing(pm)`` clears the manager
    (its __exit__) and records an error from doing so as a ``close`` step."""

    def __init__(self, data, module):
        super().__init__(data, module, describe=describe_error)
        self.urllib3 = module
        self.api = Api(module, self.token)

    def attempt(self, name, make_request, **fields):
        return self.attempt_sync(name, make_request, **fields)

    def mark(self, name):
        return self.mark_sync(name)


def main(scenario):
    """Run scenario(ctx), a plain function, under the contract and print its one result line."""
    regress_core.run(scenario, classify, describe_error, context=Context, default_module="urllib3")
