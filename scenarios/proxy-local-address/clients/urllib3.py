"""local_address through a proxy, for urllib3 on its own: ProxyManager(proxy, source_address=("127.0.0.2", 0))
(PoolManager for `direct`). The connections to the proxy must come from 127.0.0.2, as direct ones do. Two
requests on one manager: "plain" to the http:// origin (forwarded by the proxy) and "tls" to the https://
origin (a CONNECT tunnel), trusting the run's CA."""
import regress_urllib3 as ru


def scenario(ctx):
    data, api = ctx.input, ctx.api
    api.require("source_address")
    source = (data["localAddress"], 0)
    common = dict(source_address=source, cert_reqs="CERT_REQUIRED", ca_certs=data["caFile"], retries=api.retry(total=0))
    if data["case"] == "via-proxy":
        ctx.fact("manager", "ProxyManager(proxy, source_address=%r)" % (source,))
        manager = api.proxy_manager(data["proxyUrl"], **common)
    else:
        ctx.fact("manager", "PoolManager(source_address=%r)" % (source,))
        manager = api.pool_manager(**common)
    timeout = api.timeout(connect=5.0, read=5.0)
    with ctx.closing(manager):
        ctx.attempt("plain", lambda: manager.request("GET", "%s/la/%s/plain" % (data["originUrl"], data["case"]), timeout=timeout))
        ctx.attempt("tls", lambda: manager.request("GET", "%s/la/%s/tls" % (data["tlsOriginUrl"], data["case"]), timeout=timeout))


ru.main(scenario)
