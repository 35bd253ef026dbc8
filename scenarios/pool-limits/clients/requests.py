"""httpx #787's contract, for requests: HTTPAdapter(pool_maxsize=N, pool_block=True) never opens more than N
connections to a host at once. requests has no pool timeout (it never passes urllib3's pool_timeout), so a
request that cannot get a connection waits for one to free up and is then served on it: the case's pool
timeout cannot be expressed, and the program says so (fact pool_timeout_unsupported), which the judge reads
as the blocking form of the contract. The requests run in threads, all at once."""
import threading

import regress_requests as rr


def scenario(ctx):
    data, api = ctx.input, ctx.api
    max_connections = data["maxConnections"]
    ctx.fact("configured_with", "HTTPAdapter(pool_maxsize=%d, pool_block=True)" % max_connections)
    # No release of requests has one: HTTPAdapter.send calls urllib3's urlopen without pool_timeout.
    ctx.fact(
        "pool_timeout_unsupported",
        "requests.HTTPAdapter has no pool timeout (it calls urllib3's urlopen without pool_timeout): "
        "a request waits for a free connection however long it takes",
    )
    # One attempt per request (requests' default max_retries=0, said explicitly).
    session = api.session(adapter=api.adapter(pool_connections=1, pool_maxsize=max_connections, pool_block=True, max_retries=0))

    # Without a pool timeout the waiters are served one delay after the first wave: the shorter delay for
    # blocking clients keeps the whole case within the wait the scenario declares.
    delay_ms = data.get("blockingDelayMs", data["delayMs"])

    def request(n):
        url = "%s/slow/limits-%d?ms=%d" % (data["url"], n, delay_ms)
        ctx.attempt("request-%d" % n, lambda: session.get(url, timeout=(5.0, data["readTimeout"])))

    with ctx.closing(session):
        threads = [threading.Thread(target=request, args=(n,)) for n in range(1, data["tasks"] + 1)]
        for t in threads:
            t.start()
        # Bounded: the waiters are served one server delay after the first wave; the read timeout bounds each
        # request once it has a connection, and the case's time limit backs it.
        for t in threads:
            t.join(2 * (data["readTimeout"] + delay_ms / 1000.0) + 10)


rr.main(scenario)
