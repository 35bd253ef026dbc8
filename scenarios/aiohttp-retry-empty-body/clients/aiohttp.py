"""aiohttp #13329: the automatic retry of an idempotent PUT whose body is a file object sends an empty body.

One ClientSession, default connector:

* ``warm``: GET, answered; its connection goes back to the keep-alive pool;
* ``put``: PUT with ``data=`` an open binary file of a known size, on the pooled connection. The server
  reads it whole and closes the connection without an answer; aiohttp (3.10+) retries the PUT on a new
  connection. A fixed release sends the whole file again; a broken one has already read the file to its end
  and sends an empty body, and the client reads the server's 200 as if the upload had succeeded.
"""
import tempfile

import regress_aiohttp as ra


async def scenario(ctx):
    data = ctx.input
    base = data["url"]
    size = data["putBytes"]
    session = ctx.api.session()
    async with ctx.closing(session):
        await ctx.attempt("warm", lambda: ctx.api.fetch(session, "GET", base + "/retry/warm"))
        with tempfile.TemporaryFile() as body:
            body.write(b"r" * size)
            body.seek(0)
            await ctx.attempt("put", lambda: ctx.api.fetch(session, "PUT", base + "/retry/put", data=body), putBytes=size)


ra.main(scenario)
