"""httpx #1171 (2020): more concurrent requests than max_connections against a slow server.

Run `npx regress serve --port 8001 --route '/=delay:10s'` (the seed's hypercorn app: every request
sleeps 10 s), then: python issue_1171_gather.py [http://127.0.0.1:8001]

Broken (httpx <= 0.20.0): a waiter raises PoolTimeout at ~15 s although both connections were freed at
10 s. Fixed (httpx >= 0.21.0): all four get 200, the last two at ~20 s.
"""
import asyncio
import sys
import time

import httpx

URL = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8001"


def make_client():
    # The pool timeout is above the server's 10 s, so only a pool that never hands over a freed
    # connection times out. Limits/PoolLimits changed names over the releases: take what exists.
    if hasattr(httpx, "Limits"):
        limits = {"limits": httpx.Limits(max_connections=2)}
        timeout = httpx.Timeout(30.0, pool=15.0)
    else:
        limits = {"pool_limits": httpx.PoolLimits(hard_limit=2)}
        timeout = httpx.Timeout(30.0, pool_timeout=15.0)
    return httpx.AsyncClient(timeout=timeout, **limits)


async def main():
    started = time.monotonic()
    async with make_client() as client:
        async def one(n):
            try:
                r = await client.get("%s/%d" % (URL, n))
                print("request %d: %d after %.1f s" % (n, r.status_code, time.monotonic() - started))
            except httpx.HTTPError as exc:
                print("request %d: %s after %.1f s" % (n, type(exc).__name__, time.monotonic() - started))

        await asyncio.gather(*(one(n) for n in range(1, 5)))
    print("httpx", httpx.__version__)


asyncio.run(main())
