"""local_address through a proxy, for requests: an HTTPAdapter that binds its connections to 127.0.0.2. requests
has no such option; urllib3's source_address reaches the pools through init_poolmanager, and the proxy's pools
through proxy_manager_for, which does not inherit init_poolmanager's keywords: the adapter overrides both, as
requests-toolbelt's SourceAddressAdapter does since requests/toolbelt#151 (an adapter that overrides only
init_poolmanager connects to a proxy from the default address, in every release measured). Two requests on one
session: "plain" to the http:// origin (forwarded by the proxy) and "tls" to the https:// origin (a CONNECT
tunnel), verify=<the run's CA file>."""
import regress_requests as rr


def source_address_adapter(api, source):
    """An HTTPAdapter whose direct pools and proxy pools are all bound to source."""
    base = api.adapter_class

    class SourceAddressAdapter(base):
        def init_poolmanager(self, *args, **kwargs):
            kwargs["source_address"] = source
            return super().init_poolmanager(*args, **kwargs)

        def proxy_manager_for(self, proxy, **proxy_kwargs):
            proxy_kwargs["source_address"] = source
            return super().proxy_manager_for(proxy, **proxy_kwargs)

    return SourceAddressAdapter(max_retries=0)


def scenario(ctx):
    data, api = ctx.input, ctx.api
    if "source_address" not in api.pool_params:
        raise rr.NotApplicable("urllib3's pools under this requests take no source_address")
    source = (data["localAddress"], 0)
    ctx.fact("adapter", "HTTPAdapter with source_address=%r in init_poolmanager and proxy_manager_for" % (source,))
    session = api.session(adapter=source_address_adapter(api, source), verify=data["caFile"], trust_env=False)
    if data["case"] == "via-proxy":
        session.proxies = {"http": data["proxyUrl"], "https": data["proxyUrl"]}
    with ctx.closing(session):
        ctx.attempt("plain", lambda: session.get("%s/la/%s/plain" % (data["originUrl"], data["case"]), timeout=(5.0, 5.0)))
        ctx.attempt("tls", lambda: session.get("%s/la/%s/tls" % (data["tlsOriginUrl"], data["case"]), timeout=(5.0, 5.0)))


rr.main(scenario)
