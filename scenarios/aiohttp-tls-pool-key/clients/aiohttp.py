"""aiohttp, two HTTPS requests on one session to the same 127.0.0.1:port, each naming the TLS server name
itself (``server_hostname=``, aiohttp 3.9+): first the name the server's certificate is valid for, then a
name it is not valid for.

Up to 3.14.0 the connection pool's key (ConnectionKey) leaves server_hostname out, so the second request is
handed the connection verified for the first name and is served without any check of its own name
(#12835). From 3.14.1 the key includes it: the second request opens its own connection, whose handshake
verifies the second name and fails. Each step records the status, or the exception (its kind says whether
it was the hostname check).
"""
import asyncio
import inspect
import ssl

import regress_aiohttp as ra


async def scenario(ctx):
    data = ctx.input
    case = data["case"]
    if case != "second-server-hostname":
        raise RuntimeError("unknown case %r" % case)
    request_params = inspect.signature(ctx.aiohttp.ClientSession._request).parameters
    if "server_hostname" not in request_params:
        reason = "this aiohttp takes no per-request server_hostname= (added in 3.9.0)"
        ctx.record("configure", ctx.clock(), ok=False, unsupported=reason)
        raise ra.NotApplicable(reason)
    # The per-run CA only, in a context of its own: nothing from the user's trust store or environment.
    context = ssl.create_default_context(cafile=data["caFile"])
    session = ctx.api.session(connector=ctx.api.connector(ssl=context), timeout=ctx.api.timeout(total=15))
    async with ctx.closing(session):
        url = "%s/valid-name" % data["url"]
        await ctx.attempt("valid-name", lambda: ctx.api.fetch(session, "GET", url, server_hostname=data["validName"]), serverHostname=data["validName"])
        # Some releases (measured: 3.9.0) put the released connection back in the pool a little after
        # read() returns; without this pause the second request sometimes opens a connection of its own and
        # the pool key is never consulted. 0.5 s is far beyond that lag even on a loaded machine.
        await asyncio.sleep(0.5)
        url = "%s/other-name" % data["url"]
        await ctx.attempt("other-name", lambda: ctx.api.fetch(session, "GET", url, server_hostname=data["otherName"]), serverHostname=data["otherName"])


ra.main(scenario)
