"""httpx #1171 against a delay fault: more concurrent requests than max_connections, every one slow."""
import asyncio

import regress_compat as rc


async def gather(ctx):
    data, api = ctx.input, ctx.api
    client = api.async_client(
        timeout=api.timeout(connect=5.0, read=data["readTimeout"], write=5.0, pool=data["poolTimeout"]),
        **api.limits_kwargs(max_connections=data["maxConnections"]),
    )
    async with ctx.closing(client) as c:
        def request(n):
            return ctx.attempt("request-%d" % n, lambda: c.get("%s/slow/%d" % (data["url"], n)))

        await asyncio.gather(*(request(n) for n in range(1, data["tasks"] + 1)))


rc.main(lambda ctx: {"gather": gather}[ctx.input["case"]](ctx))
