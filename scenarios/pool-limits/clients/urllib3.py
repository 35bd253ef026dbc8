"""httpx #787's contract, for urllib3 on its own: PoolManager(maxsize=N, block=True) never opens more than N
connections to a host at once, and a request that cannot get one raises EmptyPoolError after pool_timeout
(urlopen's pool_timeout=), not a connect or read timeout. The requests run in threads, all at once."""
import threading

import regress_urllib3 as ru


def scenario(ctx):
    data, api = ctx.input, ctx.api
    ctx.fact("configured_with", "PoolManager(maxsize=%d, block=True), request(pool_timeout=%s)" % (data["maxConnections"], data["poolTimeout"]))
    # No retries: a request is one attempt, so what the server counts is what the pool let through.
    pm = api.pool_manager(maxsize=data["maxConnections"], block=True, retries=api.retry(total=0))
    timeout = api.timeout(connect=5.0, read=data["readTimeout"])

    def request(n):
        url = "%s/slow/limits-%d?ms=%d" % (data["url"], n, data["delayMs"])
        ctx.attempt("request-%d" % n, lambda: pm.request("GET", url, timeout=timeout, pool_timeout=data["poolTimeout"]))

    with ctx.closing(pm):
        threads = [threading.Thread(target=request, args=(n,)) for n in range(1, data["tasks"] + 1)]
        for t in threads:
            t.start()
        for t in threads:
            # Bounded: each request ends by its read timeout or the pool timeout; the case's time limit backs it.
            t.join(data["readTimeout"] + data["delayMs"] / 1000.0 + 10)


ru.main(scenario)
