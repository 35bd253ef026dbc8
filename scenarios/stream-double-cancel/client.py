"""httpx #3782 / httpcore #1115: a streaming response whose consuming task is cancelled twice.

Each round opens ``client.stream()`` on an endless chunked body, waits for the first chunk, then cancels the
consuming task, yields once (``asyncio.sleep(0)``) and cancels it again, the pattern of the reproducer in
encode/httpcore#1116. The consumer's ``finally`` closes the response under ``asyncio.shield``, as the report
does. With max_connections=3, round 4 must still get a connection.
"""
import asyncio

import regress_compat as rc


def pool_repr(client):
    # Read-only evidence: the pool's own summary ("Requests: 0 active ... Connections: 3 active, 0 idle").
    pool = getattr(getattr(client, "_transport", None), "_pool", None)
    return repr(pool) if pool is not None else None


async def scenario(ctx):
    data, api = ctx.input, ctx.api
    if not hasattr(api.module.AsyncClient, "stream"):
        raise rc.NotApplicable("AsyncClient.stream does not exist in this release")
    client = api.async_client(
        timeout=api.timeout(connect=5.0, read=10.0, write=5.0, pool=data["poolTimeout"]),
        **api.limits_kwargs(max_connections=data["maxConnections"], max_keepalive=data["maxConnections"]),
    )
    async with ctx.closing(client):
        for n in range(1, data["rounds"] + 1):
            url = "%s/stream/double-cancel-%d?every=%d" % (data["url"], n, data["chunkEveryMs"])
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
                    ctx.record("stream-%d" % n, started, ok=False, cancelled=True, status=outcome.get("status"))
                    raise
                except Exception as exc:  # the behaviour under test (PoolTimeout on round 4): record it
                    ctx.record_error("stream-%d" % n, started, exc)
                    first_chunk.set()
                finally:
                    if response is not None:
                        await asyncio.shield(response.aclose())

            task = asyncio.ensure_future(consume())
            try:
                await asyncio.wait_for(first_chunk.wait(), data["firstChunkTimeout"])
            except asyncio.TimeoutError:
                pass
            if task.done():
                await task
                continue
            task.cancel()
            await asyncio.sleep(0)
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
            # Let shielded clean-up finish before the pool is read.
            await asyncio.sleep(data["settle"])
            ctx.fact("pool_after_round_%d" % n, pool_repr(client))
        # Sockets the client closed reach the server as a FIN well before the process exits.
        await asyncio.sleep(data["linger"])


rc.main(scenario)
