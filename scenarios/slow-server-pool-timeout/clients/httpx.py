"""httpx #1171: a slow server, more requests than connections (gather), and in-flight cancellation (cancel)."""
import asyncio

import regress_compat as rc


def make_client(ctx):
    data, api = ctx.input, ctx.api
    return api.async_client(
        timeout=api.timeout(connect=5.0, read=data["readTimeout"], write=5.0, pool=data["poolTimeout"]),
        **api.limits_kwargs(max_connections=data["maxConnections"]),
    )


async def gather(ctx):
    data = ctx.input
    async with ctx.closing(make_client(ctx)) as client:
        def request(n):
            url = "%s/slow/gather-%d?ms=%d" % (data["url"], n, data["delayMs"])
            return ctx.attempt("request-%d" % n, lambda: client.get(url))

        await asyncio.gather(*(request(n) for n in range(1, data["tasks"] + 1)))


async def cancel(ctx):
    try:
        import anyio
    except ImportError as exc:
        raise rc.NotApplicable("the cancel case needs anyio task groups; this environment has none (%s)" % exc)
    data = ctx.input
    async with ctx.closing(make_client(ctx)) as client:
        async def one(n):
            url = "%s/slow/cancel-%d?ms=%d" % (data["url"], n, data["delayMs"])
            await ctx.attempt("cancelled-%d" % n, lambda: client.get(url))

        # Level cancellation through an anyio cancel scope: the trigger in the 2023 reproducer.
        async with anyio.create_task_group() as tg:
            for n in range(1, data["tasks"] + 1):
                tg.start_soon(one, n)
            await anyio.sleep(data["cancelAfter"])
            tg.cancel_scope.cancel()
        await ctx.attempt("follow-up", lambda: client.get(data["url"] + "/followup"))


rc.main(lambda ctx: {"gather": gather, "cancel": cancel}[ctx.input["case"]](ctx))
