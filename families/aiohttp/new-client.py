"""{{ID}}: sequential requests with one session (TODO: what the reported program does).

Runs the real aiohttp release under test. ``ctx.api`` builds sessions, connectors and timeouts that carry the
run's client token; ``ctx.attempt`` records each request's status and body length, or the exception it
raised, as a step the judge reads (``ctx.api.fetch`` reads the body whole and releases the connection).
"""
import regress_aiohttp as ra


async def scenario(ctx):
    data = ctx.input
    session = ctx.api.session(connector=ctx.api.connector(limit=1), timeout=ctx.api.timeout(total=20, sock_read=10))
    async with ctx.closing(session):
        for n in range(1, data["requests"] + 1):
            url = "%s/reuse/%d" % (data["url"], n)
            await ctx.attempt("request-%d" % n, lambda: ctx.api.fetch(session, "GET", url))


ra.main(scenario)
