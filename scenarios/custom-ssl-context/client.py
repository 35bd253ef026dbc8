"""httpx #926: verify=<ssl.SSLContext> trusting the run's CA, against good, bad and mTLS servers."""
import ssl

import regress_compat as rc


async def scenario(ctx):
    data, api = ctx.input, ctx.api
    context = ssl.create_default_context(cafile=data["caFile"])
    ctx.fact("verify_x509_strict", bool(context.verify_flags & getattr(ssl, "VERIFY_X509_STRICT", 0)))
    ctx.fact("openssl", ssl.OPENSSL_VERSION)

    async def request(name, verify, base=data["url"]):
        client = api.async_client(verify=verify, timeout=api.timeout(connect=5.0, read=5.0, write=5.0, pool=5.0))
        async with ctx.closing(client):
            await ctx.attempt(name, lambda: client.get("%s/tls/%s" % (base, name)))

    if data["case"] == "mtls":
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
