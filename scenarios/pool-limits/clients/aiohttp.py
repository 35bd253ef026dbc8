"""httpx #787's contract, for aiohttp: TCPConnector(limit=N) never opens more than N connections at once, and a
request that cannot get one raises after the connection-acquire timeout, not a read timeout.

aiohttp's acquire timeout is ClientTimeout(connect=): it covers the wait for a free connection slot and the
connection itself (aiohttp's docs: "Maximal number of seconds for acquiring a connection from pool"). aiohttp
has no exception of its own for it; the contract (regress_aiohttp.classify) reads the connect-timeout exception
as pool-timeout when the wait it cancelled was the connector's wait for a free slot. The requests run as tasks,
all at once."""
import asyncio

import regress_aiohttp as ra


async def scenario(ctx):
    data, api = ctx.input, ctx.api
    max_connections = data["maxConnections"]
    ctx.fact("configured_with", "TCPConnector(limit=%d), ClientTimeout(connect=%s)" % (max_connections, data["poolTimeout"]))
    session = api.session(
        connector=api.connector(limit=max_connections),
        # connect= is the pool wait plus the connection; sock_read bounds a request once it has one.
        timeout=api.timeout(total=None, connect=data["poolTimeout"], sock_read=data["readTimeout"]),
    )
    async with ctx.closing(session):
        def request(n):
            url = "%s/slow/limits-%d?ms=%d" % (data["url"], n, data["delayMs"])
            return ctx.attempt("request-%d" % n, lambda: api.fetch(session, "GET", url))

        # Bounded: each request ends by the pool timeout or sock_read; the case's time limit backs it.
        await asyncio.gather(*(request(n) for n in range(1, data["tasks"] + 1)))


ra.main(scenario)
