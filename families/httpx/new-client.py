"""{{ID}}: sequential requests with one client (TODO: what the reported program does).

Runs the real release under test. \`ctx.api\` builds clients, limits and timeouts in the release's own API;
\`ctx.attempt\` records each request's status or exception as a step the judge reads.
"""
import regress_compat as rc


async def scenario(ctx):
    data, api = ctx.input, ctx.api
    client = api.async_client()
    async with ctx.closing(client):
        for n in range(1, data["requests"] + 1):
            url = "%s/reuse/%d" % (data["url"], n)
            await ctx.attempt("request-%d" % n, lambda: client.get(url))


rc.main(scenario)
