"""httpx #1171, the 2023 reproducer the issue was closed on: requests cancelled in flight leave the pool
with stale entries, so the next request never gets a connection.

Run `npx regress serve --port 8001 --route '/=delay:10s'`, then: python issue_1171_cancel.py [URL]

Broken (httpcore <= 1.0.2, e.g. `httpx==0.26.0 httpcore==1.0.2`): the follow-up raises PoolTimeout after
3 s and never reaches the server (the serve log shows no request for /follow-up). Fixed (httpcore >= 1.0.3):
the follow-up is sent at once on a new connection and answered after the 10 s delay.
"""
import sys
import time

import anyio
import httpx

URL = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8001"


async def main():
    limits = httpx.Limits(max_connections=2)
    async with httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(30.0, pool=3.0)) as client:
        async with anyio.create_task_group() as tg:
            for n in range(5):
                tg.start_soon(client.get, "%s/cancelled-%d" % (URL, n))
            await anyio.sleep(0.5)
            tg.cancel_scope.cancel()
        started = time.monotonic()
        try:
            r = await client.get(URL + "/follow-up")
            print("follow-up: %d after %.1f s" % (r.status_code, time.monotonic() - started))
        except httpx.PoolTimeout:
            print("follow-up: PoolTimeout after %.1f s (the #1171 failure)" % (time.monotonic() - started))
    print("httpx", httpx.__version__)


anyio.run(main)
