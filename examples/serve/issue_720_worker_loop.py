"""httpx #720: the seed's worker loop re-enters `async with client` on one client for every request.

Run `npx regress serve --port 8002`, then: python issue_720_worker_loop.py [http://127.0.0.1:8002]

The seed's script (2500 queued ids, `PoolLimits(soft_limit=2, hard_limit=10)`, an https site) reduced to
its loop: leaving `async with` closed the pool without releasing its connection permits, so after
hard_limit cycles the next request raised PoolTimeout. Broken: httpx 0.10.1 (PoolTimeout at cycle 11).
Fixed: 0.11.0 (every cycle served); from 0.19 a closed client refuses to reopen (RuntimeError), which
this script reports as such.
"""
import asyncio
import sys

import httpx

URL = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8002"
CYCLES = 15


def make_client():
    if hasattr(httpx, "PoolLimits") and "soft_limit" in httpx.PoolLimits.__init__.__code__.co_varnames:
        return httpx.AsyncClient(pool_limits=httpx.PoolLimits(soft_limit=2, hard_limit=10), timeout=httpx.Timeout(5.0, pool_timeout=2.0))
    if hasattr(httpx, "Limits"):
        return httpx.AsyncClient(limits=httpx.Limits(max_keepalive_connections=2, max_connections=10), timeout=httpx.Timeout(5.0, pool=2.0))
    return httpx.AsyncClient(pool_limits=httpx.PoolLimits(max_keepalive=2, max_connections=10), timeout=httpx.Timeout(5.0, pool_timeout=2.0))


async def worker_loop(client):
    for sub_id in range(1, CYCLES + 1):
        try:
            async with client as c:
                r = await c.get("%s/submission.php?id=%d" % (URL, sub_id))
        except RuntimeError as exc:
            print("cycle %d: RuntimeError: %s (this release refuses to reopen a closed client)" % (sub_id, exc))
            return
        except httpx.HTTPError as exc:
            print("cycle %d: %s (the #720 failure)" % (sub_id, type(exc).__name__))
            return
        print("cycle %d: %d" % (sub_id, r.status_code))


async def main():
    await worker_loop(make_client())
    print("httpx", httpx.__version__)


asyncio.run(main())
