"""httpcore #1093: requests cancelled while the pool is contended leave slots the pool never reclaims.

Churn: each round starts ``tasks`` requests (twice ``max_connections``) to a route that answers only after
30 s, so half hold a connection and half wait in the pool's queue. Once the fixture has seen the holders'
requests (a barrier: ``GET /seen?prefix=``, so the cancellation point does not depend on the machine's
speed), every task is cancelled, in two
batches whose membership and order come from ``random.Random(seed)``: a fixed schedule, the same on every
run. When a holder is cancelled the pool hands its slot to a queued request; if that request is cancelled
in the same batch, httpcore 1.0.x keeps the new, never-connected connection for good.

Afterwards: ``followUps`` sequential requests, then ``maxConnections`` concurrent ones to a route slower than
their pool timeout, so a single leaked slot makes one of them raise PoolTimeout. A mark on the fixture clock
before each follow-up and before the concurrent burst lets the judge see, on the server's clock, how long
each request waited for a slot.
"""
import asyncio
import random

import regress_compat as rc


def pool_repr(client):
    # Read-only evidence: the pool's own summary, e.g. "Connections: 10 active, 0 idle" with no requests.
    pool = getattr(getattr(client, "_transport", None), "_pool", None)
    return repr(pool) if pool is not None else None


def schedule(seed, rounds, tasks):
    """Per round: the task indices in the order they are cancelled, and where the first batch ends."""
    rng = random.Random(seed)
    plan = []
    for _ in range(rounds):
        order = list(range(tasks))
        rng.shuffle(order)
        plan.append({"order": order, "firstBatch": rng.randint(tasks // 4, 3 * tasks // 4)})
    return plan


async def barrier(ctx, probe, prefix):
    """Wait until max_connections requests with this path prefix reached the server, or until none has
    arrived for ``barrierQuiet`` seconds after the first one (a pool that already leaked slots cannot fill
    them all), or for ``barrierFirst`` seconds when none has arrived at all, or ``barrierTimeout``.

    A quiet period rather than a fixed wait: on a loaded machine the holders arrive over a second or more,
    and a cancellation that lands while some are still connecting is a different case.
    """
    data = ctx.input
    started = last_change = ctx.clock()
    count = 0
    while ctx.clock() - started < data["barrierTimeout"]:
        response = await probe.get("%s/seen" % data["url"], params={"prefix": prefix})
        seen = response.json()["count"]
        if seen != count:
            count, last_change = seen, ctx.clock()
        # Before the first arrival a loaded machine may still be starting connections: a longer wait.
        quiet = data["barrierQuiet"] if count > 0 else data["barrierFirst"]
        if count >= data["maxConnections"] or ctx.clock() - last_change >= quiet:
            break
        await asyncio.sleep(0.02)
    return {"reached": count, "waited": round(ctx.clock() - started, 3)}


async def scenario(ctx):
    data, api = ctx.input, ctx.api
    slow = api.timeout(connect=10.0, read=60.0, write=10.0, pool=60.0)
    client = api.async_client(**api.limits_kwargs(max_connections=data["maxConnections"], max_keepalive=data["maxConnections"]))
    plan = schedule(data["seed"], data["rounds"], data["tasks"])
    ctx.fact("schedule", plan)
    # A separate client (its own pool, never cancelled) asks the fixture how far the churn got.
    probe = api.async_client(timeout=api.timeout(connect=5.0, read=5.0, write=5.0, pool=5.0))
    async with ctx.closing(probe), ctx.closing(client):
        for r, round_plan in enumerate(plan, start=1):
            def request(i):
                url = "%s/slow/churn-%d-%d?ms=%d" % (data["url"], r, i, data["churnDelayMs"])
                return ctx.attempt("churn-%d-%d" % (r, i), lambda: client.get(url, timeout=slow))

            running = [asyncio.ensure_future(request(i)) for i in range(data["tasks"])]
            # Cancel only once the holders are waiting for their response (the server answers after 30 s):
            # the same point on a loaded machine as on an idle one.
            ctx.fact("barrier_round_%d" % r, await barrier(ctx, probe, "/slow/churn-%d-" % r))
            order, cut = round_plan["order"], round_plan["firstBatch"]
            for i in order[:cut]:
                running[i].cancel()
            await asyncio.sleep(0)
            for i in order[cut:]:
                running[i].cancel()
            await asyncio.gather(*running, return_exceptions=True)
        ctx.fact("pool_after_churn", pool_repr(client))

        quick = api.timeout(connect=5.0, read=10.0, write=5.0, pool=data["poolTimeout"])
        for n in range(1, data["followUps"] + 1):
            url = "%s/after/%d" % (data["url"], n)
            # Each request's start on the server's clock: the judge measures its wait for a slot from here.
            await ctx.mark("follow-up-%d" % n)
            await ctx.attempt("follow-up-%d" % n, lambda: client.get(url, timeout=quick))

        def capacity(n):
            url = "%s/slow/capacity-%d?ms=%d" % (data["url"], n, data["capacityDelayMs"])
            return ctx.attempt("capacity-%d" % n, lambda: client.get(url, timeout=quick))

        await ctx.mark("capacity")
        await asyncio.gather(*(capacity(n) for n in range(1, data["maxConnections"] + 1)))
        ctx.fact("pool_at_end", pool_repr(client))


rc.main(scenario)
