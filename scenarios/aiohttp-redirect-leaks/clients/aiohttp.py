"""aiohttp across a cross-origin redirect (server A answers 302 to server B, another port of 127.0.0.1): what
aiohttp's own redirect handling carries to B.

- request-cookies: cookies given to the request (``session.get(url, cookies={...})``) are sent to B as well
  (#12550, fixed in 3.14.0: the redirect now drops them with the Authorization and Cookie headers).
- duplicate-cookie / duplicate-authorization: the request's headers name Cookie (Authorization) twice;
  the cross-origin redirect drops only one of them (``headers.pop``), so B gets the other (#13180, fixed in
  3.14.3 with ``headers.popall``).

Each request goes through ClientSession.get with aiohttp's default redirect handling: the leak, if any, is
aiohttp's own. The step records what answered it (the landing JSON names the server) and the hops aiohttp
followed (``response.history``).
"""
import json

import regress_aiohttp as ra


async def fetch(ctx, name, url, **kwargs):
    session = ctx.api.session(timeout=ctx.api.timeout(total=15))
    async with ctx.closing(session):
        started = ctx.clock()
        try:
            async with session.get(url, **kwargs) as response:
                body = await response.read()
                hops = [{"status": h.status, "url": str(h.url), "location": h.headers.get("Location")} for h in response.history]
                status = response.status
        except Exception as exc:  # the behaviour under test: record it
            ctx.record_error(name, started, exc)
            return
        try:
            answer = json.loads(body.decode("utf-8"))
        except ValueError:
            answer = {"firstBytes": body[:80].decode("latin-1")}
        ctx.record(name, started, ok=True, status=status, answer=answer, hops=hops)


async def scenario(ctx):
    data = ctx.input
    case = data["case"]
    url = "%s/redirect?status=302&to=/landing/%s" % (data["a"], case)
    if case == "request-cookies":
        name, value = data["cookie"].split("=", 1)
        await fetch(ctx, case, url, cookies={name: value})
    elif case == "duplicate-cookie":
        # A list of pairs keeps both (aiohttp makes a CIMultiDict of it): two Cookie header lines on the wire.
        await fetch(ctx, case, url, headers=[("Cookie", v) for v in data["cookies"]])
    elif case == "duplicate-authorization":
        await fetch(ctx, case, url, headers=[("Authorization", v) for v in data["authorizations"]])
    else:
        raise RuntimeError("unknown case %r" % case)


ra.main(scenario)
