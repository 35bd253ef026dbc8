"""httpx #720: re-enter `async with` on one client more times than the pool's hard limit."""
import asyncio

import regress_compat as rc


async def scenario(ctx):
    data, api = ctx.input, ctx.api

    def make_client():
        return api.async_client(
            timeout=api.timeout(connect=5.0, read=5.0, write=5.0, pool=data["poolTimeout"]),
            **api.limits_kwargs(max_connections=data["hardLimit"], max_keepalive=data["hardLimit"]),
        )

    client = make_client()
    pattern = "reenter-same-client"
    for n in range(1, data["cycles"] + 1):
        url = "%s/cycle/%d" % (data["url"], n)
        if pattern == "reenter-same-client":
            started = ctx.clock()
            try:
                async with client as c:
                    await ctx.attempt("cycle-%d" % n, lambda: c.get(url), pattern=pattern)
                continue
            except RuntimeError as exc:
                # httpx >= 0.19: "Cannot reopen a client instance, once it has been closed."
                ctx.record_error("cycle-%d-reopen" % n, started, exc, pattern=pattern)
                ctx.fact("reopen_refused", str(exc))
                pattern = "new-client-per-cycle"
        async with make_client() as c:
            await ctx.attempt("cycle-%d" % n, lambda: c.get(url), pattern=pattern)
    # Let the event loop run the transports' close callbacks (asyncio sends the FIN a turn after close()),
    # then mark the moment on the server's clock: a connection still open there was not closed by leaving
    # `async with`. The process then lives on, so its exit cannot close what the client left open.
    await asyncio.sleep(data["settle"])
    await ctx.mark("linger")
    await asyncio.sleep(data["linger"])


rc.main(scenario)
