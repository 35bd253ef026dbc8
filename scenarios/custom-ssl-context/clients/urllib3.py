"""httpx #926's contract, for urllib3 on its own: PoolManager(ssl_context=<the case's context, trusting the run's
CA>) uses the context as given: the CA-signed server accepted, bad certificates refused, the protocol floor
kept. mTLS presents cert_file/key_file over that context; legacy-server checks the contexts urllib3 builds
itself (its default, and cert_reqs="CERT_REQUIRED" + ca_certs=<the run's CA file>)."""
import ssl

import regress_urllib3 as ru


def run_case_context(data):
    """The case's context, trusting only the run's CA, made the way urllib3 and requests document for
    ssl_context=: urllib3's create_urllib3_context(). Not ssl.create_default_context(): urllib3 1.x passes no
    server_hostname for an IP address and checks host names itself, so a context with check_hostname on fails
    there with "check_hostname requires server_hostname" before any byte is sent (urllib3/urllib3#2178 made
    2.0 lean on the context's own check); urllib3's builder turns it on where urllib3 can use it."""
    from urllib3.util.ssl_ import create_urllib3_context

    context = create_urllib3_context()
    context.load_verify_locations(cafile=data["caFile"])
    return context


def scenario(ctx):
    data, api = ctx.input, ctx.api
    ctx.fact("openssl", ssl.OPENSSL_VERSION)
    # Who checks the host name: the context in the handshake (True), or urllib3 after it (False).
    ctx.fact("case_context_check_hostname", run_case_context(data).check_hostname)
    # One attempt per step: a refused handshake is not retried, so each step is one connection the server saw.
    retries = api.retry(total=0)
    timeout = api.timeout(connect=5.0, read=5.0)

    def request(name, base=data["url"], **manager):
        pm = api.pool_manager(retries=retries, **manager)
        with ctx.closing(pm):
            ctx.attempt(name, lambda: pm.request("GET", "%s/tls/%s" % (base, name), timeout=timeout))

    case = data["case"]
    if case == "legacy-server":
        # The server offers only TLS 1.0/1.1: both contexts urllib3 builds itself must refuse it in the
        # handshake, its default one (its own trust store: the refusal must come before the certificate) and
        # the one it builds for ca_certs=<the run's CA file>.
        ctx.fact("ca_context", 'PoolManager(cert_reqs="CERT_REQUIRED", ca_certs=<the run\'s CA file>) (urllib3 builds the context)')
        request("default-context")
        request("ca-context", cert_reqs="CERT_REQUIRED", ca_certs=data["caFile"])
    elif case == "minimum-tls13":
        context = run_case_context(data)
        if not hasattr(ssl, "TLSVersion") or not hasattr(context, "minimum_version"):
            raise ru.NotApplicable("this Python's ssl module has no TLSVersion / SSLContext.minimum_version")
        context.minimum_version = ssl.TLSVersion.TLSv1_3
        ctx.fact("minimum_version", str(context.minimum_version))
        request("request", ssl_context=context)
    elif case == "mtls":
        # urllib3's client certificate is cert_file/key_file; the trust is the case's context, as elsewhere.
        ctx.fact("client_certificate", "PoolManager(cert_file=, key_file=) over ssl_context=<the case's context>")
        request("with-client-cert", ssl_context=run_case_context(data), cert_file=data["clientCert"], key_file=data["clientKey"])
        request("without-client-cert", ssl_context=run_case_context(data))
    elif case == "wrong-host":
        # The certificate names another host: refused by IP address (127.0.0.1) and by DNS name (localhost).
        request("request", ssl_context=run_case_context(data))
        request("request-dns", data["url"].replace("127.0.0.1", "localhost"), ssl_context=run_case_context(data))
    else:
        request("request", ssl_context=run_case_context(data))


ru.main(scenario)
