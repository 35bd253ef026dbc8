"""httpx #926: verify=<ssl.SSLContext> trusting the run's CA, against good, bad and mTLS servers."""
import ssl

import regress_compat as rc


async def scenario(ctx):
    data, api = ctx.input, ctx.api
    context = ssl.create_default_context(cafile=data["caFile"])
    ctx.fact("verify_x509_strict", bool(context.verify_flags & getattr(ssl, "VERIFY_X509_STRICT", 0)))
    ctx.fact("openssl", ssl.OPENSSL_VERSION)

    async def request(name, verify, base=data["url"]):
        # verify=None: the client's own default (no TLS argument at all).
        tls = {} if verify is None else {"verify": verify}
        client = api.async_client(timeout=api.timeout(connect=5.0, read=5.0, write=5.0, pool=5.0), **tls)
        async with ctx.closing(client):
            await ctx.attempt(name, lambda: client.get("%s/tls/%s" % (base, name)))

    if data["case"] == "legacy-server":
        # The server offers only TLS 1.0/1.1. Both contexts the client makes itself must refuse it in the
        # handshake: its default one (verify=True, its own trust store: the refusal must come before any
        # certificate is looked at) and the one it builds for the run's CA file (as verify=<path> builds it).
        own, how = rc.release_ssl_context(ctx.httpx, data["caFile"])
        ctx.fact("ca_context", how)
        ctx.fact("ca_context_minimum_version", str(getattr(own, "minimum_version", None)))
        await request("default-context", None)
        await request("ca-context", own)
    elif data["case"] == "minimum-tls13":
        if not hasattr(ssl, "TLSVersion") or not hasattr(context, "minimum_version"):
            raise rc.NotApplicable("this Python's ssl module has no TLSVersion / SSLContext.minimum_version")
        context.minimum_version = ssl.TLSVersion.TLSv1_3
        ctx.fact("minimum_version", str(context.minimum_version))
        await request("request", context)
    elif data["case"] == "mtls":
        with_cert = ssl.create_default_context(cafile=data["caFile"])
        with_cert.load_cert_chain(data["clientCert"], data["clientKey"])
        await request("with-client-cert", with_cert)
        await request("without-client-cert", context)
    elif data["case"] == "wrong-host":
        # The certificate names another host: refused by IP address (127.0.0.1) and by DNS name (localhost).
        await request("request", context)
        await request("request-dns", context, data["url"].replace("127.0.0.1", "localhost"))
    else:
        await request("request", context)


rc.main(scenario)
