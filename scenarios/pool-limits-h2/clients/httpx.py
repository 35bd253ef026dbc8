"""httpx #787 over HTTP/2: max_connections and the pool timeout when one connection carries several streams."""
import asyncio

import regress_compat as rc


async def scenario(ctx):
    data, api = ctx.input, ctx.api
    api.require_http2()
    context = api.http2_context(data["caFile"])
    client = api.async_client(
        http2=True,
        verify=context,
        timeout=api.timeout(connect=5.0, read=data["readTimeout"], write=5.0, pool=data["poolTimeout"]),
        **api.limits_kwargs(max_connections=data["maxConnections"], max_keepalive=data["maxConnections"]),
    )
    started = {}

    async def request(n):
        name = "request-%d" % n
        started[n] = ctx.clock()
        try:
            response = await client.get("%s/slow/limits-%d?ms=%d" % (data["url"], n, data["delayMs"]))
        except Exception as exc:  # the behaviour under test: record it, never hide it
            return ctx.record_error(name, started[n], exc)
        return ctx.record(name, started[n], ok=True, status=response.status_code, httpVersion=getattr(response, "http_version", None))

    await client.__aenter__()
    tasks = [asyncio.ensure_future(request(n)) for n in range(1, data["tasks"] + 1)]
    # Some releases never finish a request that waits for a stream: give up well past every expected
    # completion and record the request as pending, so the judge sees the hang instead of a killed process.
    _, pending = await asyncio.wait(tasks, timeout=data["deadline"])
    for task in pending:
        task.cancel()
    for n, task in enumerate(tasks, start=1):
        if task in pending:
            ctx.record("request-%d" % n, started.get(n, 0.0), ok=False, pending=True)
    closing = ctx.clock()
    try:
        await asyncio.wait_for(client.__aexit__(None, None, None), timeout=5.0)
    except (Exception, asyncio.TimeoutError) as exc:  # evidence, as ctx.closing records it
        ctx.record_error("close", closing, exc)


rc.main(scenario)
