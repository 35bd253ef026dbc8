"""httpx #926's contract, for aiohttp: an SSLContext given as ssl= (TCPConnector(ssl=ctx), aiohttp's documented
way to trust a private CA) is used as given: the CA-signed server accepted, bad certificates refused in the
handshake, the protocol floor kept. mTLS loads the client certificate on that context (load_cert_chain);
legacy-server checks aiohttp's default context (ssl=True) and a context made for the run's CA
(ssl.create_default_context(cafile=), as aiohttp's docs show it). Every request is on a fresh session."""
import ssl

import regress_aiohttp as ra


def run_case_context(data):
    """The case's context, trusting only the run's CA; check_hostname on (the default), so the handshake
    itself checks the host name, as aiohttp relies on."""
    return ssl.create_default_context(cafile=data["caFile"])


async def scenario(ctx):
    data, api = ctx.input, ctx.api
    ctx.fact("openssl", ssl.OPENSSL_VERSION)

    async def request(name, context=None, base=data["url"]):
        """One GET on a fresh session whose connector holds `context` (aiohttp's default context when None)."""
        connector = api.connector(ssl=context) if context is not None else api.connector()
        # A handshake on loopback takes milliseconds: 5 s only bounds a hang.
        session = api.session(connector=connector, timeout=api.timeout(total=5.0))
        async with ctx.closing(session):
            await ctx.attempt(name, lambda: api.fetch(session, "GET", "%s/tls/%s" % (base, name)))

    case = data["case"]
    if case == "legacy-server":
        # The server offers only TLS 1.0/1.1: both must refuse it in the handshake, before the certificate.
        ctx.fact("ca_context", "TCPConnector(ssl=ssl.create_default_context(cafile=<the run's CA file>))")
        await request("default-context")
        await request("ca-context", run_case_context(data))
    elif case == "minimum-tls13":
        context = run_case_context(data)
        context.minimum_version = ssl.TLSVersion.TLSv1_3
        ctx.fact("minimum_version", str(context.minimum_version))
        await request("request", context)
    elif case == "mtls":
        ctx.fact("client_certificate", "SSLContext.load_cert_chain(cert, key) on the connector's ssl= context")
        with_cert = run_case_context(data)
        with_cert.load_cert_chain(data["clientCert"], data["clientKey"])
        await request("with-client-cert", with_cert)
        await request("without-client-cert", run_case_context(data))
    elif case == "wrong-host":
        # The certificate names another host: refused by IP address (127.0.0.1) and by DNS name (localhost).
        await request("request", run_case_context(data))
        await request("request-dns", run_case_context(data), data["url"].replace("127.0.0.1", "localhost"))
    elif case in ("trusted-ca", "untrusted", "expired"):
        await request("request", run_case_context(data))
    else:
        raise RuntimeError("unknown case %r" % case)


ra.main(scenario)
