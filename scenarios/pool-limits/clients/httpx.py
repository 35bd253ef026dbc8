"""httpx #787: max_connections and the pool timeout, configured in whatever form this release accepts."""
import asyncio

import regress_compat as rc


async def scenario(ctx):
    data, api = ctx.input, ctx.api
    client = api.async_client(
        timeout=api.timeout(connect=5.0, read=data["readTimeout"], write=5.0, pool=data["poolTimeout"]),
        **api.limits_kwargs(max_connections=data["maxConnections"], max_keepalive=data["maxConnections"]),
    )
    async with ctx.closing(client):
        def request(n):
            url = "%s/slow/limits-%d?ms=%d" % (data["url"], n, data["delayMs"])
            return ctx.attempt("request-%d" % n, lambda: client.get(url))

        await asyncio.gather(*(request(n) for n in range(1, data["tasks"] + 1)))


rc.main(scenario)
