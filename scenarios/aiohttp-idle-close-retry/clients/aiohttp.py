"""aiohttp #7297: the server closes a kept-alive connection as the client reuses it.

One ClientSession, default connector (retries on, where the release has them):

* ``warm``: GET, answered; the connection goes back to the keep-alive pool;
* ``second``: the case's method (GET, or POST with a body of known size) on the pooled connection, which the
  server reads whole and closes without an answer. 3.10+ retries a GET on a new connection; no release may
  send the POST again.
"""
import regress_aiohttp as ra


async def scenario(ctx):
    data = ctx.input
    base = data["url"]
    method = data["method"]
    if method not in ("GET", "POST"):
        raise RuntimeError("unknown method %r for case %r" % (method, data.get("case")))
    session = ctx.api.session()
    async with ctx.closing(session):
        await ctx.attempt("warm", lambda: ctx.api.fetch(session, "GET", base + "/idle/warm"))
        kwargs = {"data": b"p" * data["postBytes"]} if method == "POST" else {}
        await ctx.attempt("second", lambda: ctx.api.fetch(session, method, base + "/idle/second", **kwargs), method=method)


ra.main(scenario)
