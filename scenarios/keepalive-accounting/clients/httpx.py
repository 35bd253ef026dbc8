"""httpcore PR #1000: max_keepalive_connections is compared with all connections, not the idle ones.

max_keepalive_connections=2, max_connections=4. Three streams are opened at once, each on its own
connection: two on an endless body (held open), one on a short body (``finish``). ``finish`` is read to
the end and closed, so its connection becomes the pool's only idle one: 1 idle <= 2 allowed, and it
must stay. Then, while the two streams are still held, one more request (``next``) must reuse it.
"""
import asyncio
import contextlib

import regress_compat as rc


def pool_repr(client):
    pool = getattr(getattr(client, "_transport", None), "_pool", None)
    return repr(pool) if pool is not None else None


async def scenario(ctx):
    data, api = ctx.input, ctx.api
    if not hasattr(api.module.AsyncClient, "stream"):
        raise rc.NotApplicable("AsyncClient.stream does not exist in this release")
    client = api.async_client(
        timeout=api.timeout(connect=5.0, read=10.0, write=5.0, pool=data["poolTimeout"]),
        **api.limits_kwargs(max_connections=data["maxConnections"], max_keepalive=data["maxKeepalive"]),
    )
    base = data["url"]
    async with ctx.closing(client):
        async with contextlib.AsyncExitStack() as held:
            async def open_stream(name, url):
                started = ctx.clock()
                response = await held.enter_async_context(client.stream("GET", url))
                ctx.record(name, started, ok=True, status=response.status_code)
                return response

            # All three requests are in flight before any finishes: three connections.
            hold_1, hold_2, finish = await asyncio.gather(
                open_stream("hold-1", "%s/stream/hold-1?every=%d" % (base, data["chunkEveryMs"])),
                open_stream("hold-2", "%s/stream/hold-2?every=%d" % (base, data["chunkEveryMs"])),
                open_stream("finish", "%s/ka/finish" % base),
            )
            started = ctx.clock()
            await finish.aread()
            await finish.aclose()
            ctx.record("finish-body", started, ok=True, status=finish.status_code)
            ctx.fact("pool_after_finish", pool_repr(client))
            # A FIN the client sent on the idle connection reaches the server within this pause.
            await asyncio.sleep(data["pause"])
            await ctx.attempt("next", lambda: client.get("%s/ka/next" % base))
            ctx.fact("pool_after_next", pool_repr(client))
            # The held streams are closed by the exit stack here, mid-body.


rc.main(scenario)
