"""{{ID}}: sequential requests with one PoolManager (TODO: what the reported program does).

Runs the real urllib3 release under test. ``ctx.api`` builds pool managers that carry the run's client token;
``ctx.attempt`` records each request's status or exception as a step the judge reads.
"""
import regress_urllib3 as ru


def scenario(ctx):
    data = ctx.input
    manager = ctx.api.pool_manager()
    with ctx.closing(manager):
        for n in range(1, data["requests"] + 1):
            url = "%s/reuse/%d" % (data["url"], n)
            ctx.attempt("request-%d" % n, lambda: manager.request("GET", url, timeout=ctx.api.timeout(connect=10, read=10)))


ru.main(scenario)
