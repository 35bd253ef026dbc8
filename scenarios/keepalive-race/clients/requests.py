"""The keep-alive race, for requests: a GET answered with keep-alive, then (after an idle gap in the idle-close
cases) a GET or a POST on the same Session. The Session is the default one (HTTPAdapter with max_retries=0, as
requests ships it). What the server saw decides (judge.ts)."""
import time

import regress_requests as rr

CASES = (
    "get-close-after-first",
    "post-close-after-first",
    "get-reset-after-first",
    "post-reset-after-first",
    "get-idle-close",
    "post-idle-close",
)


def scenario(ctx):
    data, api = ctx.input, ctx.api
    if data["case"] not in CASES:
        raise RuntimeError("unknown case %r" % data["case"])
    base = data["url"] + data["path"]
    session = api.session()
    with ctx.closing(session):
        ctx.attempt("first", lambda: session.get(base + "/1", timeout=(5.0, 10.0)))
        if data["idleSeconds"]:
            time.sleep(data["idleSeconds"])
        if data["method"] == "POST":
            body = b"p" * data["postBytes"]
            ctx.attempt("second", lambda: session.post(base + "/2", data=body, timeout=(5.0, 10.0)))
        else:
            ctx.attempt("second", lambda: session.get(base + "/2", timeout=(5.0, 10.0)))


rr.main(scenario)
