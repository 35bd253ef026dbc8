"""httpx #926's contract, for requests: the case's SSLContext (trusting the run's CA) reaches the pools through
an HTTPAdapter whose init_poolmanager passes it on (requests' documented way), and is used as given: the
CA-signed server accepted, bad certificates refused, the protocol floor kept. mTLS presents cert=(cert, key)
over that context; legacy-server checks requests' own contexts (no verify, and verify=<CA file>)."""
import ssl

import regress_requests as rr

# (connect, read) seconds: a handshake on loopback takes milliseconds, so 5 s only bounds a hang.
TIMEOUT = (5.0, 5.0)


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

    def adapter_for(context):
        try:
            return api.adapter(ssl_context=context)
        except rr.Unsupported as exc:
            raise rr.NotApplicable(str(exc))

    def request(name, context=None, base=data["url"], **attributes):
        """One GET on a fresh session: over an adapter that hands `context` to its pools when one is given,
        else as requests does it itself; attributes are the session's own (verify, cert)."""
        session = api.session(adapter=adapter_for(context) if context is not None else None, **attributes)
        with ctx.closing(session):
            ctx.attempt(name, lambda: session.get("%s/tls/%s" % (base, name), timeout=TIMEOUT))

    case = data["case"]
    if case == "legacy-server":
        # The server offers only TLS 1.0/1.1: both contexts requests builds itself must refuse it in the
        # handshake, its default (verify=True: certifi; the refusal must come before the certificate) and
        # the one it builds for verify=<the run's CA file>.
        ctx.fact("ca_context", "Session.verify = <the run's CA file> (requests builds the context)")
        request("default-context")
        request("ca-context", verify=data["caFile"])
    elif case == "minimum-tls13":
        context = run_case_context(data)
        if not hasattr(ssl, "TLSVersion") or not hasattr(context, "minimum_version"):
            raise rr.NotApplicable("this Python's ssl module has no TLSVersion / SSLContext.minimum_version")
        context.minimum_version = ssl.TLSVersion.TLSv1_3
        ctx.fact("minimum_version", str(context.minimum_version))
        request("request", context)
    elif case == "mtls":
        # requests' client certificate is cert=(cert, key); the trust is the case's context, as elsewhere.
        ctx.fact("client_certificate", "Session.cert = (cert, key) over the adapter's context")
        request("with-client-cert", run_case_context(data), cert=(data["clientCert"], data["clientKey"]))
        request("without-client-cert", run_case_context(data))
    elif case == "wrong-host":
        # The certificate names another host: refused by IP address (127.0.0.1) and by DNS name (localhost).
        request("request", run_case_context(data))
        request("request-dns", run_case_context(data), data["url"].replace("127.0.0.1", "localhost"))
    else:
        request("request", run_case_context(data))


rr.main(scenario)
