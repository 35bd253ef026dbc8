"""aiohttp #12953: a sock_read timer re-armed on a connection already back in the keep-alive pool.

One ClientSession with ``ClientTimeout(sock_read=...)`` and the default connector:

* ``first``: GET, and the body read with ``await resp.read()`` (the read that, on 3.14.0 and 3.14.1, calls
  resume_reading() after the connection went back to the pool and re-arms the sock_read timer on it);
* an idle gap longer than sock_read, on the same event loop (the re-armed timer fires in it);
* ``second``: GET on the pooled connection. A fixed release reads its 200; a broken one raises
  SocketTimeoutError at once, although the server received the request and answered it.
"""
import asyncio

import regress_aiohttp as ra


async def scenario(ctx):
    data = ctx.input
    base = data["url"]
    session = ctx.api.session(timeout=ctx.api.timeout(sock_read=data["sockReadSeconds"]))
    async with ctx.closing(session):
        # fetch reads the body with ``await response.read()`` inside the request: the read of the buffered body
        # that, on 3.14.0 and 3.14.1, comes after the connection is back in the pool and re-arms the timer.
        await ctx.attempt("first", lambda: ctx.api.fetch(session, "GET", base + "/rearm/first"))
        await asyncio.sleep(data["idleSeconds"])
        await ctx.attempt("second", lambda: ctx.api.fetch(session, "GET", base + "/rearm/second"), sockReadSeconds=data["sockReadSeconds"])


ra.main(scenario)
