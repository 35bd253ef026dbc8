"""httpx #3441: verification off together with a client certificate, against a server that requires one.

Step ``cert-argument`` uses the documented pre-0.28 form ``verify=False, cert=(crt, key)`` wherever the
client accepts ``cert=`` (0.28.1 and httpx2 accept it with a DeprecationWarning, which is recorded).
Step ``context-form`` expresses the same intent the way that deprecation asks: ``verify=<SSLContext>`` with
verification off and ``load_cert_chain``. It runs on every release: deprecation cannot be detected
reliably (0.28.0 returns before it warns, which is the bug itself), and contexts are accepted since 0.7.
Each step talks to its own server, so the server's handshake record belongs to one step.
"""
import ssl
import warnings

import regress_compat as rc


async def scenario(ctx):
    data, api = ctx.input, ctx.api
    ctx.fact("openssl", ssl.OPENSSL_VERSION)
    timeout = api.timeout(connect=5.0, read=5.0, write=5.0, pool=5.0)

    async def request(name, url, **client_kwargs):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            client = api.async_client(timeout=timeout, **client_kwargs)
        # Only the client's own warning about cert= / verify= counts (old releases warn about other things).
        deprecations = [
            str(w.message) for w in caught
            if issubclass(w.category, DeprecationWarning) and ("cert" in str(w.message) or "verify" in str(w.message))
        ]
        if deprecations:
            ctx.fact(name + "_deprecation", deprecations[0])
        async with ctx.closing(client):
            await ctx.attempt(name, lambda: client.get("%s/mtls/%s" % (url, name)))

    has_cert_argument = "cert" in api.client_params
    ctx.fact("cert_argument", has_cert_argument)
    if has_cert_argument:
        await request("cert-argument", data["argumentUrl"], verify=False, cert=(data["clientCert"], data["clientKey"]))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.load_cert_chain(data["clientCert"], data["clientKey"])
    await request("context-form", data["contextUrl"], verify=context)


rc.main(scenario)
