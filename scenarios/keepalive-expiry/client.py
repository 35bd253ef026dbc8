"""httpx #1395: does a connection survive an idle gap shorter than the server's keep-alive?"""
import asyncio

import regress_compat as rc


async def scenario(ctx):
    data, api = ctx.input, ctx.api
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


rc.main(scenario)
