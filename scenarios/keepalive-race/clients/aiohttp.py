"""The keep-alive race, for aiohttp: a GET answered with keep-alive, then (after an idle gap in the idle-close
cases) a GET or a POST on the same ClientSession. The session's connector is the default one (keep-alive on,
aiohttp's own retry of a request that fails on a reused connection as the release has it); only a total and a
read timeout are set, so a lost answer cannot hang the case. What the server saw decides (judge.ts)."""
import asyncio

import regress_aiohttp as ra

CASES = (
    "get-close-after-first",
    "post-close-after-first",
    "get-reset-after-first",
    "post-reset-after-first",
    "get-idle-close",
    "post-idle-close",
)


async def scenario(ctx):
    data, api = ctx.input, ctx.api
    if data["case"] not in CASES:
        raise RuntimeError("unknown case %r" % data["case"])
    base = data["url"] + data["path"]
    session = api.session(timeout=api.timeout(total=20, sock_read=10))
    async with ctx.closing(session):
        await ctx.attempt("first", lambda: api.fetch(session, "GET", base + "/1"))
        if data["idleSeconds"]:
            await asyncio.sleep(data["idleSeconds"])
        if data["method"] == "POST":
            body = b"p" * data["postBytes"]
            await ctx.attempt("second", lambda: api.fetch(session, "POST", base + "/2", data=body))
        else:
            await ctx.attempt("second", lambda: api.fetch(session, "GET", base + "/2"))


ra.main(scenario)
