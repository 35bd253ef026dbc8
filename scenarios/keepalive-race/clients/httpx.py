"""The keep-alive race, for httpx and httpx2: a GET answered with keep-alive, then (after an idle gap in the
idle-close cases) a GET or a POST on the same client. The client is the default one: no retries configured,
as httpx ships it. What the server saw decides (judge.ts)."""
import asyncio
import inspect

import regress_compat as rc

CASES = (
    "get-close-after-first",
    "post-close-after-first",
    "get-reset-after-first",
    "post-reset-after-first",
    "get-idle-close",
    "post-idle-close",
)


def body_keyword(client):
    """httpx 0.18 renamed a raw body from data= to content=; both are public API in their releases."""
    return "content" if "content" in inspect.signature(client.request).parameters else "data"


async def scenario(ctx):
    data, api = ctx.input, ctx.api
    if data["case"] not in CASES:
        raise RuntimeError("unknown case %r" % data["case"])
    base = data["url"] + data["path"]
    client = api.async_client()
    async with ctx.closing(client):
        await ctx.attempt("first", lambda: client.get(base + "/1"))
        if data["idleSeconds"]:
            await asyncio.sleep(data["idleSeconds"])
        if data["method"] == "POST":
            body = b"p" * data["postBytes"]
            kwargs = {body_keyword(client): body}
            await ctx.attempt("second", lambda: client.request("POST", base + "/2", **kwargs))
        else:
            await ctx.attempt("second", lambda: client.get(base + "/2"))


rc.main(scenario)
