"""httpx #1395's contract, for aiohttp. aiohttp's keep-alive expiry is TCPConnector(keepalive_timeout=) (15 s by
default): an idle pooled connection older than it is closed, by the connector's cleanup timer or when the next
request looks for a connection. So:

* idle-gap: the connection must survive a 6 s idle gap the server allows, for the default connector (15 s) and
  one configured with keepalive_timeout=30;
* short-expiry: keepalive_timeout=1 and 3 s idle: the second request must come on a new connection;
* keepalive-boundary: not applicable. aiohttp has no cap on idle connections apart from the total: limit= and
  limit_per_host= bound the connections open at once, and every connection a finished request releases is kept
  until keepalive_timeout.
"""
import asyncio

import regress_aiohttp as ra

NO_IDLE_CAP = (
    "aiohttp's TCPConnector has no max_keepalive_connections: limit= and limit_per_host= bound all connections "
    "at once, and every released connection is kept until keepalive_timeout"
)


async def two_requests(ctx, data, api, label, connector):
    """Two GETs on one session, idleSeconds apart."""
    session = api.session(connector=connector, timeout=api.timeout(total=10.0))
    async with ctx.closing(session):
        await ctx.attempt(label + "-1", lambda: api.fetch(session, "GET", "%s/ka/%s/1" % (data["url"], label)))
        await asyncio.sleep(data["idleSeconds"])
        await ctx.attempt(label + "-2", lambda: api.fetch(session, "GET", "%s/ka/%s/2" % (data["url"], label)))


async def scenario(ctx):
    data, api = ctx.input, ctx.api
    case = data["case"]
    if case == "idle-gap":
        ctx.fact("configured_with", "TCPConnector(keepalive_timeout=%s)" % data["keepaliveExpiry"])
        # Both sessions idle at the same time: one wait, two observations.
        await asyncio.gather(
            two_requests(ctx, data, api, "default", api.connector()),
            two_requests(ctx, data, api, "configured", api.connector(keepalive_timeout=data["keepaliveExpiry"])),
        )
    elif case == "short-expiry":
        ctx.fact("configured_with", "TCPConnector(keepalive_timeout=%s)" % data["keepaliveExpiry"])
        await two_requests(ctx, data, api, "short", api.connector(keepalive_timeout=data["keepaliveExpiry"]))
    elif case == "keepalive-boundary":
        ctx.record("configure", ctx.clock(), ok=False, unsupported=NO_IDLE_CAP)
        raise ra.NotApplicable(NO_IDLE_CAP + ", so max_keepalive_connections=%s cannot be expressed" % data["maxKeepalive"])
    else:
        raise RuntimeError("unknown case %r" % case)


ra.main(scenario)
