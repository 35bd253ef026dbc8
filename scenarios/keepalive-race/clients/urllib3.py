"""The keep-alive race, for urllib3 on its own: a GET answered with keep-alive, then (after an idle gap in the
idle-close cases) a GET or a POST on the same PoolManager. The manager's retries are urllib3's default
(Retry.DEFAULT: 3, idempotent methods only for read errors). What the server saw decides (judge.ts)."""
import time

import regress_urllib3 as ru

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
    timeout = api.timeout(connect=5.0, read=10.0)
    pm = api.pool_manager()
    with ctx.closing(pm):
        ctx.attempt("first", lambda: pm.request("GET", base + "/1", timeout=timeout))
        if data["idleSeconds"]:
            time.sleep(data["idleSeconds"])
        if data["method"] == "POST":
            body = b"p" * data["postBytes"]
            ctx.attempt("second", lambda: pm.request("POST", base + "/2", body=body, timeout=timeout))
        else:
            ctx.attempt("second", lambda: pm.request("GET", base + "/2", timeout=timeout))


ru.main(scenario)
