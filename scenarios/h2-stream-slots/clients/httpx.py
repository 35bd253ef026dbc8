"""encode/httpcore#943: over HTTP/2, a response closed before its stream ends must free its stream.

Against a server advertising SETTINGS_MAX_CONCURRENT_STREAMS = N, open N streaming responses one after
another on one connection and close each after its first chunk (the body never ends), then make ordinary
requests on the same client. A client that does not reset the closed streams (no RST_STREAM) still counts
them in h2's state machine, and the next stream fails with "Max outbound streams is N, N open".
"""

import regress_compat as rc


async def scenario(ctx):
    data, api = ctx.input, ctx.api
    api.require_http2()
    import h2

    ctx.fact("h2", getattr(h2, "__version__", "unknown"))
    context = api.http2_context(data["caFile"])
    client = api.async_client(
        http2=True,
        verify=context,
        timeout=api.timeout(connect=5.0, read=5.0, write=5.0, pool=5.0),
        # One connection, so every stream shares one HTTP/2 connection's stream slots.
        **api.limits_kwargs(max_connections=1, max_keepalive=1),
    )

    async def step(name, run):
        """One request; record its status, HTTP version and bytes read, or the exception it raised."""
        started = ctx.clock()
        try:
            response, received = await run()
        except Exception as exc:  # the behaviour under test: record it, never hide it
            return ctx.record_error(name, started, exc)
        return ctx.record(
            name,
            started,
            ok=True,
            status=response.status_code,
            httpVersion=getattr(response, "http_version", None),
            bytesRead=received,
        )

    def close_early(url):
        async def run():
            received = 0
            async with client.stream("GET", url) as response:
                async for chunk in response.aiter_bytes():
                    received += len(chunk)
                    if received:
                        break
            # Leaving the block closes the response before the server ended the stream.
            return response, received

        return run

    def plain(url):
        async def run():
            response = await client.get(url)
            return response, len(response.content)

        return run

    async with ctx.closing(client):
        for n in range(1, data["earlyCloses"] + 1):
            url = "%s/endless/early-%d?every=%d&size=%d" % (data["url"], n, data["chunkEveryMs"], data["chunkSize"])
            await step("early-%d" % n, close_early(url))
        for n in range(1, data["followUps"] + 1):
            await step("after-%d" % n, plain("%s/after-%d" % (data["url"], n)))


rc.main(scenario)
