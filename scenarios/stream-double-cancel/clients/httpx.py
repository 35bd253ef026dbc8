"""httpx #3782 / httpcore #1115: a streaming response whose consuming task is cancelled twice.

Each round opens ``client.stream()`` on an endless chunked body, waits for the first chunk, then cancels the
consuming task, yields once (``asyncio.sleep(0)``) and cancels it again, the pattern of the reproducer in
encode/httpcore#1116. The consumer's ``finally`` closes the response under ``asyncio.shield``, as the report
does. With max_connections=3, round 4 must still get a connection (case ``double-cancel``).

Case ``yield-sweep`` moves the second cancel along the clean-up path: 0 to N yields after the first, so a
release that only shifted its yield points (rather than making the clean-up safe) is still caught.
"""
import asyncio

import regress_compat as rc


def pool_repr(client):
    # Read-only evidence: the pool's own summary ("Requests: 0 active ... Connections: 3 active, 0 idle").
    pool = getattr(getattr(client, "_transport", None), "_pool", None)
    return repr(pool) if pool is not None else None


async def double_cancel(ctx, client, url, name, gap):
    """Stream url, and once the first chunk arrived cancel the consumer, yield ``gap`` times, cancel again.

    Records step ``name``: cancelled with the response status, or the error that kept the stream from opening.
    """
    first_chunk = asyncio.Event()
    outcome = {}

    async def consume():
        started = ctx.clock()
        response = None
        try:
            async with client.stream("GET", url) as response:
                outcome["status"] = response.status_code
                async for _ in response.aiter_raw():
                    first_chunk.set()
        except asyncio.CancelledError:
            ctx.record(name, started, ok=False, cancelled=True, status=outcome.get("status"), gap=gap)
            raise
        except Exception as exc:  # the behaviour under test (PoolTimeout): record it
            ctx.record_error(name, started, exc, gap=gap)
            first_chunk.set()
        finally:
            # As in the report: the caller's own clean-up, shielded from the cancellation.
            if response is not None:
                await asyncio.shield(response.aclose())

    task = asyncio.ensure_future(consume())
    try:
        await asyncio.wait_for(first_chunk.wait(), ctx.input["firstChunkTimeout"])
    except asyncio.TimeoutError:
        pass
    if task.done():
        await task
        return
    task.cancel()
    for _ in range(gap):
        await asyncio.sleep(0)
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass
    # Let shielded clean-up finish before the pool is read or used again.
    await asyncio.sleep(ctx.input["settle"])


def make_client(ctx, max_connections):
    data, api = ctx.input, ctx.api
    return api.async_client(
        timeout=api.timeout(connect=5.0, read=10.0, write=5.0, pool=data["poolTimeout"]),
        **api.limits_kwargs(max_connections=max_connections, max_keepalive=max_connections),
    )


async def closed_mark(ctx):
    """Every client is closed: let the loop send the FINs, mark the moment on the server's clock, and
    linger, so a socket still open at the mark was left open by the client, not closed by its exit."""
    await asyncio.sleep(ctx.input["settle"])
    await ctx.mark("closed")
    await asyncio.sleep(ctx.input["linger"])


async def reported(ctx):
    """The reproducer of encode/httpcore#1116: one yield between the cancels, max_connections=3, 4 rounds."""
    data = ctx.input
    client = make_client(ctx, data["maxConnections"])
    async with ctx.closing(client):
        for n in range(1, data["rounds"] + 1):
            url = "%s/stream/double-cancel-%d?every=%d" % (data["url"], n, data["chunkEveryMs"])
            await double_cancel(ctx, client, url, "stream-%d" % n, data["gap"])
            ctx.fact("pool_after_round_%d" % n, pool_repr(client))
    await closed_mark(ctx)


async def sweep(ctx):
    """The same race at every distance: for each gap 0..N yields between the two cancels, a fresh client with
    max_connections=1 streams once (cancelled twice), then must open a second stream."""
    data = ctx.input
    for gap in range(data["gaps"] + 1):
        client = make_client(ctx, 1)
        async with ctx.closing(client):
            for n in (1, 2):
                url = "%s/stream/sweep-%d-%d?every=%d" % (data["url"], gap, n, data["chunkEveryMs"])
                await double_cancel(ctx, client, url, "gap-%d-stream-%d" % (gap, n), gap)
            ctx.fact("pool_gap_%d" % gap, pool_repr(client))
    await closed_mark(ctx)


async def scenario(ctx):
    if not hasattr(ctx.api.module.AsyncClient, "stream"):
        raise rc.NotApplicable("AsyncClient.stream does not exist in this release")
    await {"double-cancel": reported, "yield-sweep": sweep}[ctx.input["case"]](ctx)


rc.main(scenario)
