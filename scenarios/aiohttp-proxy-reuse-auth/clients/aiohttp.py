"""aiohttp through a forward proxy that requires Basic credentials: two sequential plain-HTTP GETs on one
session, the credentials in the proxy URL as aio-libs/aiohttp#2596 gives them (``proxy='http://user:pass@proxy'``).

The first request opens the proxy connection and carries Proxy-Authorization; the second reuses that
connection from the pool. Up to 3.13.2 the connector's reuse path does not set the request's proxy headers
on the reused connection, so the second request goes out without Proxy-Authorization and the proxy answers
407 (#2596, fixed by #11777 in 3.13.3). Each step records the status aiohttp returned.
"""
import asyncio

import regress_aiohttp as ra


async def scenario(ctx):
    data = ctx.input
    case = data["case"]
    if case != "reused-proxy-connection":
        raise RuntimeError("unknown case %r" % case)
    session = ctx.api.session(timeout=ctx.api.timeout(total=15))
    async with ctx.closing(session):
        for name in ("first", "second"):
            if name == "second":
                # Let the first connection settle back into the pool before the second request (some
                # releases put it back a little after read() returns): the reuse path is what is tested.
                await asyncio.sleep(0.5)
            url = "%s/landing/%s" % (data["origin"], name)
            await ctx.attempt(name, lambda url=url: ctx.api.fetch(session, "GET", url, proxy=data["proxyUrl"]))


ra.main(scenario)
