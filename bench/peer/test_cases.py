"""The ten HTTP/1.1 cases of regress's catalogue as a pytest suite: same delays, pool sizes, timeouts and idle
gaps as the scenarios' inputs (scenarios/<id>/scenario.ts), asserting the fixed behaviour. Run over releases
by noxfile.py; the bench (scripts/bench.ts) times it against regress. A failing test here is a reproduced
failure there: the comparison is of time, not of verdicts."""
import asyncio
import random
import ssl

import anyio
import httpx
import pytest

pytestmark = pytest.mark.anyio


def limits(max_connections, max_keepalive=None, **extra):
    return httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_keepalive, **extra)


def timeout(pool, read=10.0):
    return httpx.Timeout(connect=5.0, read=read, write=5.0, pool=pool)


# Quickest first: the peer's first verdict (bench: first verdict for a new release) comes as early as it can.
async def test_trusted_ca(tls_server, ca):
    """custom-ssl-context/trusted-ca: a context trusting the run's CA is used."""
    app, url = tls_server
    context = ssl.create_default_context()
    ca.configure_trust(context)
    async with httpx.AsyncClient(verify=context, timeout=timeout(5.0)) as client:
        assert (await client.get(url + "/trusted")).status_code == 200


async def test_pool_limits(server):
    """pool-limits/limits: 4 concurrent requests, max_connections=2, server delay 4 s, pool timeout 1 s."""
    app, url = server
    async with httpx.AsyncClient(limits=limits(2, 2), timeout=timeout(1.0)) as client:
        results = await asyncio.gather(*(client.get(url + "/limits/%d?ms=4000" % n) for n in range(4)), return_exceptions=True)
    assert sum(isinstance(r, httpx.PoolTimeout) for r in results) == 2
    assert sum(getattr(r, "status_code", None) == 200 for r in results) == 2
    assert len(set(app.ports("/limits/"))) <= 2


async def test_keepalive_expiry(server):
    """keepalive-expiry/idle-gap: two requests 6 s apart, keepalive_expiry=30: one connection carries both."""
    app, url = server
    async with httpx.AsyncClient(limits=limits(10, 10, keepalive_expiry=30.0), timeout=timeout(5.0)) as client:
        await client.get(url + "/idle/1")
        await asyncio.sleep(6.0)
        await client.get(url + "/idle/2")
    assert len(set(app.ports("/idle/"))) == 1


async def test_gather(server):
    """slow-server-pool-timeout/gather: 4 concurrent requests, max_connections=2, delay 1 s, pool timeout 4 s."""
    app, url = server
    async with httpx.AsyncClient(limits=limits(2, 2), timeout=timeout(4.0)) as client:
        responses = await asyncio.gather(*(client.get(url + "/gather/%d?ms=1000" % n) for n in range(4)))
    assert [r.status_code for r in responses] == [200] * 4


async def test_cancel(server):
    """slow-server-pool-timeout/cancel: 5 requests cancelled in flight by a task group after 0.5 s, then one more."""
    app, url = server
    async with httpx.AsyncClient(limits=limits(2, 2), timeout=timeout(3.0)) as client:
        async with anyio.create_task_group() as group:
            for n in range(5):
                group.start_soon(client.get, url + "/cancel/%d?ms=10000" % n)
            await anyio.sleep(0.5)
            group.cancel_scope.cancel()
        response = await client.get(url + "/after-cancel")
    assert response.status_code == 200


async def test_reenter(server):
    """pool-exhaustion-after-close/reenter: 4 cycles with hard limit 2, pool timeout 1 s; settle 0.25 s, linger 1 s."""
    app, url = server
    client = httpx.AsyncClient(limits=limits(2, 2), timeout=timeout(1.0))
    for n in range(1, 5):
        try:
            async with client as c:
                assert (await c.get(url + "/cycle/%d" % n)).status_code == 200
            continue
        except RuntimeError:  # httpx >= 0.19 refuses to reopen a closed client: a new client per cycle
            pass
        async with httpx.AsyncClient(limits=limits(2, 2), timeout=timeout(1.0)) as c:
            assert (await c.get(url + "/cycle/%d" % n)).status_code == 200
    await asyncio.sleep(0.25)
    await asyncio.sleep(1.0)


async def test_keepalive_accounting(server):
    """keepalive-accounting/busy-pool: max_keepalive 2, max_connections 4; hold two streams, finish a third, one more."""
    app, url = server
    async with httpx.AsyncClient(limits=limits(4, 2), timeout=timeout(5.0)) as client:
        held = []
        for n in range(2):
            stream = client.stream("GET", url + "/stream/held-%d?every=100&max=15000" % n)
            response = await stream.__aenter__()
            held.append((stream, response))
        assert (await client.get(url + "/third")).status_code == 200
        await asyncio.sleep(0.3)
        assert (await client.get(url + "/fourth")).status_code == 200
        for stream, _ in held:
            await stream.__aexit__(None, None, None)


async def double_cancelled_stream(client, url, yields):
    async def consume():
        async with client.stream("GET", url) as response:
            async for _ in response.aiter_bytes():
                pass

    task = asyncio.ensure_future(consume())
    await asyncio.sleep(0.2)
    task.cancel()
    for _ in range(yields):
        await asyncio.sleep(0)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_double_cancel(server):
    """stream-double-cancel/double-cancel: 3 double-cancelled streams on max_connections=3, then a 4th within 2 s."""
    app, url = server
    async with httpx.AsyncClient(limits=limits(3, 3), timeout=timeout(2.0)) as client:
        for n in range(3):
            await double_cancelled_stream(client, url + "/stream/dc-%d?every=50&max=25000" % n, 0)
        await asyncio.sleep(0.1)
        async with client.stream("GET", url + "/stream/dc-last?every=50&max=25000") as response:
            assert response.status_code == 200
    await asyncio.sleep(0.5)


async def test_yield_sweep(server):
    """stream-double-cancel/yield-sweep: 0-6 yields between the cancels, max_connections=1, pool timeout 1 s."""
    app, url = server
    for gap in range(7):
        async with httpx.AsyncClient(limits=limits(1, 1), timeout=timeout(1.0)) as client:
            await double_cancelled_stream(client, url + "/stream/ys-%d?every=50&max=35000" % gap, gap)
            async with client.stream("GET", url + "/stream/ys-%d-next?every=50&max=35000" % gap) as response:
                assert response.status_code == 200
    await asyncio.sleep(0.5)


async def barrier(app, prefix, quiet=1.5, first=6.0, limit=15.0):
    """Until 10 holders reached the server, or none arrived for 1.5 s after the first (6 s before it), or 15 s:
    the churn case's barrier (a pool that leaked slots cannot fill them all)."""
    loop = asyncio.get_running_loop()
    started = last_change = loop.time()
    count = 0
    while loop.time() - started < limit:
        seen = len(app.ports(prefix))
        if seen != count:
            count, last_change = seen, loop.time()
        if count >= 10 or loop.time() - last_change >= (quiet if count else first):
            return
        await asyncio.sleep(0.02)


async def test_churn(server):
    """cancel-under-contention/churn: 3 rounds of 20 cancelled requests on max_connections=10 (seed 1093), then
    5 sequential and 10 concurrent requests (2 s each) with pool timeout 1 s."""
    app, url = server
    rng = random.Random(1093)
    async with httpx.AsyncClient(limits=limits(10, 10), timeout=httpx.Timeout(10.0, read=60.0, pool=60.0)) as client:
        for r in range(1, 4):
            running = [asyncio.ensure_future(client.get(url + "/slow/churn-%d-%d?ms=30000" % (r, i))) for i in range(20)]
            await barrier(app, "/slow/churn-%d-" % r)
            order = list(range(20))
            rng.shuffle(order)
            cut = rng.randint(5, 15)
            for i in order[:cut]:
                running[i].cancel()
            await asyncio.sleep(0)
            for i in order[cut:]:
                running[i].cancel()
            await asyncio.gather(*running, return_exceptions=True)
        quick = timeout(1.0)
        for n in range(5):
            assert (await client.get(url + "/after/%d" % n, timeout=quick)).status_code == 200
        responses = await asyncio.gather(*(client.get(url + "/slow/capacity-%d?ms=2000" % n, timeout=quick) for n in range(10)))
        assert [r.status_code for r in responses] == [200] * 10
