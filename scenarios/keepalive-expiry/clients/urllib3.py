"""httpx #1395's contract, for urllib3 on its own. urllib3 has no keep-alive expiry: a pooled connection is kept
until the server closes it (a dropped one is noticed and replaced when it is next taken from the pool). So:

* idle-gap: the connection must survive a 6 s idle gap the server allows, for the default manager and the one
  "configured as far as urllib3 allows" (no setting: the default applies, and the fact says so);
* short-expiry: not applicable (there is no expiry to set);
* keepalive-boundary: maxsize is how many idle connections a host's pool keeps; with block=False, 4 requests
  at once open 4 connections, and once they are all back exactly maxsize stay open, the rest closed.
"""
import threading
import time

import regress_urllib3 as ru

NO_EXPIRY = "urllib3 has no keep-alive expiry setting: a pooled connection is kept until the server closes it"


def together(ctx, jobs, bound):
    """Run the jobs in threads at once and wait for them (each ends by its own timeouts; bound backs that)."""
    threads = [threading.Thread(target=job) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(bound)


def idle_gap(ctx, data, api):
    ctx.fact("keepalive_expiry_unsupported", NO_EXPIRY)
    timeout = api.timeout(connect=5.0, read=10.0)

    def two_requests(label):
        pm = api.pool_manager(retries=api.retry(total=0))
        with ctx.closing(pm):
            ctx.attempt(label + "-1", lambda: pm.request("GET", "%s/ka/%s/1" % (data["url"], label), timeout=timeout))
            time.sleep(data["idleSeconds"])
            ctx.attempt(label + "-2", lambda: pm.request("GET", "%s/ka/%s/2" % (data["url"], label), timeout=timeout))

    # Both managers idle at the same time: one wait, two observations.
    together(ctx, [lambda: two_requests("default"), lambda: two_requests("configured")], data["idleSeconds"] + 30)


def keepalive_boundary(ctx, data, api):
    keep = data["maxKeepalive"]
    ctx.fact(
        "configured_with",
        "PoolManager(maxsize=%s, block=False): maxsize idle connections kept per host, more opened under load (%s)" % (keep, NO_EXPIRY),
    )
    pm = api.pool_manager(maxsize=keep, block=False, retries=api.retry(total=0))
    timeout = api.timeout(connect=5.0, read=10.0)

    def request(n):
        url = "%s/slow/boundary-%d?ms=%d" % (data["url"], n, data["delayMs"])
        return lambda: ctx.attempt("burst-%d" % n, lambda: pm.request("GET", url, timeout=timeout))

    with ctx.closing(pm):
        # Every request at once, each on its own connection (the server holds each answer delayMs); when they
        # have all finished, the pool must keep exactly maxsize of those connections and close the rest.
        together(ctx, [request(n) for n in range(1, data["tasks"] + 1)], data["delayMs"] / 1000.0 + 30)
        time.sleep(data["settleSeconds"])
        # On the fixture clock, with every connection still held as the pool holds it.
        ctx.mark("settled")


def scenario(ctx):
    data, api = ctx.input, ctx.api
    case = data["case"]
    if case == "short-expiry":
        ctx.record("configure", ctx.clock(), ok=False, unsupported=NO_EXPIRY)
        raise ru.NotApplicable(NO_EXPIRY + ", so a short expiry cannot be expressed")
    if case == "keepalive-boundary":
        keepalive_boundary(ctx, data, api)
    else:
        idle_gap(ctx, data, api)


ru.main(scenario)
