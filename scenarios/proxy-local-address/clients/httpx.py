"""local_address on a transport that goes through a proxy: AsyncHTTPTransport(local_address="127.0.0.2",
proxy=...). The connections to the proxy must come from 127.0.0.2, as direct connections do. httpx (with
httpcore) drops local_address for proxies: the transport does not hand it to httpcore's proxy pool, and the
proxy pool does not hand it to the connections it opens (encode/httpx#2997, open); httpx2 2.17.0 passes it
through both (pydantic/httpx2#1172).

Each case sends two requests on one client: "plain" to the http:// origin (through the proxy: an
absolute-form request the proxy forwards) and "tls" to the https:// origin (through the proxy: a CONNECT
tunnel). `direct` sends the same two without a proxy."""
import ssl

import regress_compat as rc


def scenario_transport(ctx, data):
    """AsyncHTTPTransport(local_address=, verify=<run CA>, proxy=Proxy(...)), feature-detected."""
    httpx = ctx.httpx
    transport_class = getattr(httpx, "AsyncHTTPTransport", None)
    params = rc._params(transport_class.__init__) if transport_class is not None else set()
    if not {"local_address", "proxy", "verify"} <= params:
        reason = (
            "%s has no AsyncHTTPTransport(local_address=, proxy=, verify=): a transport bound to a local address "
            "cannot be built through this release's API (AsyncHTTPTransport arrived in httpx 0.17)" % httpx.__name__
        )
        # The evidence keeps what the release's API answered, then the case is not-applicable.
        ctx.record("configure", ctx.clock(), ok=False, unsupported=reason)
        raise rc.NotApplicable(reason)
    kwargs = {"local_address": data["localAddress"], "verify": ssl.create_default_context(cafile=data["caFile"])}
    if data["case"] == "via-proxy":
        proxy_params = rc._params(httpx.Proxy.__init__)
        # The run's token on what the proxy itself sees (the CONNECT carries no request headers).
        headers = {rc.TOKEN_HEADER: ctx.api.token} if "headers" in proxy_params and ctx.api.token else None
        kwargs["proxy"] = httpx.Proxy(data["proxyUrl"], headers=headers) if headers else httpx.Proxy(data["proxyUrl"])
    ctx.fact("transport", "AsyncHTTPTransport(%s)" % ", ".join("%s=%s" % (k, "<run CA context>" if k == "verify" else v) for k, v in kwargs.items()))
    return transport_class(**kwargs)


async def scenario(ctx):
    data, api = ctx.input, ctx.api
    transport = scenario_transport(ctx, data)
    client = api.async_client(transport=transport, timeout=api.timeout(connect=5.0, read=5.0, write=5.0, pool=5.0))
    async with ctx.closing(client):
        await ctx.attempt("plain", lambda: client.get("%s/la/%s/plain" % (data["originUrl"], data["case"])))
        await ctx.attempt("tls", lambda: client.get("%s/la/%s/tls" % (data["tlsOriginUrl"], data["case"])))


rc.main(scenario)
