"""httpx #1395: does a connection survive an idle gap shorter than the server's keep-alive? And the rest of the
keep-alive contract: a short expiry closes the idle connection, and max_keepalive_connections holds exactly."""
import asyncio

import regress_compat as rc


async def idle_gap(ctx, data, api):
    try:
        configured_kwargs = api.limits_kwargs(keepalive_expiry=data["keepaliveExpiry"])
        ctx.fact("configured_with", "Limits(keepalive_expiry=%s)" % data["keepaliveExpiry"])
    except rc.Unsupported as exc:
        # As far as this release allows: its public API has no setting, so the default applies.
        configured_kwargs = {}
        ctx.fact("keepalive_expiry_unsupported", str(exc))

    async def two_requests(label, client):
        async with ctx.closing(client):
            await ctx.attempt(label + "-1", lambda: client.get("%s/ka/%s/1" % (data["url"], label)))
            await asyncio.sleep(data["idleSeconds"])
            await ctx.attempt(label + "-2", lambda: client.get("%s/ka/%s/2" % (data["url"], label)))

    # Both clients idle at the same time: one wait, two observations.
    await asyncio.gather(
        two_requests("default", api.async_client()),
        two_requests("configured", api.async_client(**configured_kwargs)),
    )


async def short_expiry(ctx, data, api):
    try:
        kwargs = api.limits_kwargs(keepalive_expiry=data["keepaliveExpiry"])
    except rc.Unsupported as exc:
        # The evidence keeps what the release's API answered, then the case is not-applicable.
        ctx.record("configure", ctx.clock(), ok=False, unsupported=str(exc))
        raise rc.NotApplicable(str(exc))
    ctx.fact("configured_with", "Limits(keepalive_expiry=%s)" % data["keepaliveExpiry"])
    client = api.async_client(**kwargs)
    async with ctx.closing(client):
        await ctx.attempt("short-1", lambda: client.get("%s/ka/short/1" % data["url"]))
        await asyncio.sleep(data["idleSeconds"])
        await ctx.attempt("short-2", lambda: client.get("%s/ka/short/2" % data["url"]))


async def keepalive_boundary(ctx, data, api):
    expiry = data["keepaliveExpiry"] if api.supports_keepalive_expiry else None
    kwargs = api.limits_kwargs(max_connections=data["maxConnections"], max_keepalive=data["maxKeepalive"], keepalive_expiry=expiry)
    ctx.fact("configured_with", "max_connections=%s, max_keepalive=%s, keepalive_expiry=%s" % (data["maxConnections"], data["maxKeepalive"], expiry))
    client = api.async_client(**kwargs)
    async with ctx.closing(client):
        def request(n):
            url = "%s/slow/boundary-%d?ms=%d" % (data["url"], n, data["delayMs"])
            return ctx.attempt("burst-%d" % n, lambda: client.get(url))

        # Every request at once, each on its own connection (the server holds each answer delayMs); when they
        # have all finished, the pool must keep exactly max_keepalive of those connections and close the rest.
        await asyncio.gather(*(request(n) for n in range(1, data["tasks"] + 1)))
        await asyncio.sleep(data["settleSeconds"])
        # On the fixture clock, with every connection still held as the pool holds it: the judge counts
        # the ones open for the client here.
        await ctx.mark("settled")


async def scenario(ctx):
    data, api = ctx.input, ctx.api
    case = data["case"]
    if case == "short-expiry":
        await short_expiry(ctx, data, api)
    elif case == "keepalive-boundary":
        await keepalive_boundary(ctx, data, api)
    else:
        await idle_gap(ctx, data, api)


rc.main(scenario)
