"""{{ID}}: sequential requests with one session (TODO: what the reported program does).

Runs the real requests release under test. ``ctx.api`` builds sessions and adapters that carry the run's
client token; ``ctx.attempt`` records each request's status or exception as a step the judge reads.
"""
import regress_requests as rr


def scenario(ctx):
    data = ctx.input
    session = ctx.api.session()
    with ctx.closing(session):
        for n in range(1, data["requests"] + 1):
            url = "%s/reuse/%d" % (data["url"], n)
            ctx.attempt("request-%d" % n, lambda: session.get(url, timeout=(10, 10)))


rr.main(scenario)
