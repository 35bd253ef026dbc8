"""CVE-2024-35195 (GHSA-9wx4-h78v-vm56): a Session's first request to an HTTPS host with verify=False must not
let a later request to the same host, with verification on, reuse the unverified connection.

One Session, one server whose leaf is self-signed (outside every trust store the client has):

* ``unverified``: ``verify=False`` (accepted: 200 on a new connection);
* ``verified``: the Session's default ``verify=True`` (requests' own CA bundle, which does not hold the
  leaf). It must make a new connection and refuse the certificate; a release that keys its pools without
  the verify setting sends it on the pooled, unverified connection instead and reads 200.

The same host and port both times, and the server keeps the connection open (keep-alive far above the
gap), so only the client's pool decides whether the second request gets a handshake of its own.
"""
import ssl
import warnings

import regress_requests as rr


def scenario(ctx):
    base = ctx.input["url"]
    ctx.fact("openssl", ssl.OPENSSL_VERSION)
    session = ctx.api.session()
    with ctx.closing(session):
        # verify=False warns (InsecureRequestWarning) on every release: expected here, not evidence.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ctx.attempt("unverified", lambda: session.get(base + "/sticky/unverified", verify=False, timeout=(5, 5)))
        ctx.fact("session_verify", repr(session.verify))
        ctx.attempt("verified", lambda: session.get(base + "/sticky/verified", timeout=(5, 5)))


rr.main(scenario)
