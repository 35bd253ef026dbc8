"""httpx #1395's contract, for requests. requests (on urllib3) has no keep-alive expiry: a pooled connection is
kept until the server closes it. So:

* idle-gap: the connection must survive a 6 s idle gap the server allows, for the default session and the one
  "configured as far as requests allows" (no setting: the default applies, and the fact says so);
* short-expiry: not applicable (there is no expiry to set);
* keepalive-boundary: HTTPAdapter(pool_maxsize=N) is how many idle connections a host's pool keeps; with
  pool_block=False, 4 requests at once open 4 connections, and once all are back exactly N stay open.
"""
import threading
import time

import regress_requests as rr

NO_EXPIRY = "requests (urllib3) has no keep-alive expiry setting: a pooled connection is kept until the server closes it"


def together(ctx, jobs, bound):
    """Run the jobs in threads at once and wait for them (each ends by its own timeouts; bound backs that)."""
    threads = [threading.Thread(target=job) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(bound)


def idle_gap(ctx, data, api):
    ctx.fact("keepalive_expiry_unsupported", NO_EXPIRY)

    def two_requests(label):
        session = api.session()
        with ctx.closing(session):
            ctx.attempt(label + "-1", lambda: session.get("%s/ka/%s/1" % (data["url"], label), timeout=(5.0, 10.0)))
            time.sleep(data["idleSeconds"])
            ctx.attempt(label + "-2", lambda: session.get("%s/ka/%s/2" % (data["url"], label), timeout=(5.0, 10.0)))

    # Both sessions idle at the same time: one wait, two observations.
    together(ctx, [lambda: two_requests("default"), lambda: two_requests("configured")], data["idleSeconds"] + 30)


def keepalive_boundary(ctx, data, api):
    keep = data["maxKeepalive"]
    ctx.fact(
        "configured_with",
        "HTTPAdapter(pool_maxsize=%s, pool_block=False): pool_maxsize idle connections kept per host, more opened under load (%s)"
        % (keep, NO_EXPIRY),
    )
    session = api.session(adapter=api.adapter(pool_connections=1, pool_maxsize=keep, pool_block=False, max_retries=0))

    def request(n):
        url = "%s/slow/boundary-%d?ms=%d" % (data["url"], n, data["delayMs"])
        return lambda: ctx.attempt("burst-%d" % n, lambda: session.get(url, timeout=(5.0, 10.0)))

    with ctx.closing(session):
        # Every request at once, each on its own connection (the server holds each answer delayMs); when they
        # have all finished, the pool must keep exactly pool_maxsize of those connections and close the rest.
        together(ctx, [request(n) for n in range(1, data["tasks"] + 1)], data["delayMs"] / 1000.0 + 30)
        time.sleep(data["settleSeconds"])
        # On the fixture clock, with every connection still held as the pool holds it.
        ctx.mark("settled")


def scenario(ctx):
    data, api = ctx.input, ctx.api
    case = data["case"]
    if case == "short-expiry":
        ctx.record("configure", ctx.clock(), ok=False, unsupported=NO_EXPIRY)
        raise rr.NotApplicable(NO_EXPIRY + ", so a short expiry cannot be expressed")
    if case == "keepalive-boundary":
        keepalive_boundary(ctx, data, api)
    else:
        idle_gap(ctx, data, api)


rr.main(scenario)
