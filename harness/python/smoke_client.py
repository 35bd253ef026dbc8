"""`regress smoke`'s client program: one check of a canary service, made through the client under test.

Runs under the same contract as a scenario's client.py (regress_compat.main: JSON input, one
REGRESS-RESULT line), with the client's own trust store and settings: nothing here configures httpx beyond
what a user of the release would (the CA bundle given with --ca, else the client's default).

The input's ``check`` says which check:

* ``health``   GET url+path; records status, latency and the negotiated protocol (``http_version``);
* ``tls``      a real handshake with the SSLContext the release itself builds (``create_ssl_context``, or
               ``SSLConfig.load_ssl_context`` in 0.10 - 0.13),
               recording version, cipher, ALPN, the peer certificate (verified form and DER) or the OpenSSL
               verify code of the failure; then the same URL through the client, so the judge can check
               the client agrees with the handshake;
* ``document`` GET url+path and return the JSON body (the OpenAPI document, or an endpoint whose JSON shape
               is compared); the comparison itself happens in the harness (api-smart-diff).
"""

import base64
import json
import socket
import ssl
import time
import urllib.parse

import regress_compat

# Bodies above this are not returned: a smoke check compares documents, not downloads.
MAX_BODY = 8 * 1024 * 1024


def default_trust(module):
    """Where the release's default trust comes from, for the report (certifi in a venv, the distro's in an image)."""
    try:
        import certifi

        return {"certifi": certifi.where()}
    except Exception as exc:  # an image without certifi: httpx's default then fails to build, recorded too
        return {"certifi": None, "why": "%s: %s" % (type(exc).__name__, exc)}


def client_kwargs(module, ca, timeout, http2=False):
    kwargs = {"timeout": timeout}
    if http2:
        # Offer h2 by ALPN, as an application that enables it would; the release must be able to.
        regress_compat.Api(module).require_http2()
        kwargs["http2"] = True
    if ca:
        # Trust exactly what --ca names, in the form this release accepts (an SSLContext works in every
        # release the contract drives; 0.28 warns on a path).
        kwargs["verify"] = regress_compat.release_ssl_context(module, ca)[0]
    return kwargs


def handshake(host, port, context, timeout):
    """One TLS handshake: the facts of the connection, or of its failure (OpenSSL's verify code), and the
    exception when it failed."""
    facts = {"host": host, "port": port}
    started = time.monotonic()
    failure = None
    try:
        raw = socket.create_connection((host, port), timeout=timeout)
    except OSError as exc:
        facts.update(ok=False, stage="connect", error="%s: %s" % (type(exc).__name__, exc), errno=getattr(exc, "errno", None))
        return facts, exc
    try:
        with context.wrap_socket(raw, server_hostname=host) as tls:
            facts.update(
                ok=True,
                version=tls.version(),
                cipher=list(tls.cipher() or []),
                alpn=tls.selected_alpn_protocol(),
                peercert=tls.getpeercert(),
                leafDer=base64.b64encode(tls.getpeercert(binary_form=True) or b"").decode(),
            )
    except ssl.SSLCertVerificationError as exc:
        failure = exc
        facts.update(
            ok=False,
            stage="verify",
            verifyCode=exc.verify_code,
            verifyMessage=exc.verify_message,
            reason=exc.reason,
            error=str(exc),
        )
    except ssl.SSLError as exc:
        failure = exc
        facts.update(ok=False, stage="handshake", reason=exc.reason, library=exc.library, error=str(exc))
    except OSError as exc:
        # The server closed or reset the connection during the handshake.
        failure = exc
        facts.update(ok=False, stage="handshake", reason=type(exc).__name__, error="%s: %s" % (type(exc).__name__, exc))
    finally:
        raw.close()
    facts["elapsed"] = round(time.monotonic() - started, 4)
    return facts, failure


def unverified_leaf(host, port, timeout):
    """The server's certificate without verifying it, so a failed check still shows what was served."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with socket.create_connection((host, port), timeout=timeout) as raw:
            with context.wrap_socket(raw, server_hostname=host) as tls:
                return base64.b64encode(tls.getpeercert(binary_form=True) or b"").decode()
    except (OSError, ssl.SSLError):
        return None


async def smoke(ctx):
    data = ctx.input
    module = ctx.httpx
    check = data["check"]
    url = data["url"].rstrip("/") + data.get("path", "")
    ca = data.get("ca")
    timeout = float(data.get("timeoutS", 10))
    http2 = bool(data.get("http2"))
    ctx.fact("url", url)
    # The bundle as the user named it (the program reads a copy the container runtime can see).
    ctx.fact("trust", {"ca": data.get("caGiven") or ca} if ca else {"default": default_trust(module)})

    if check == "tls":
        parts = urllib.parse.urlsplit(url)
        host, port = parts.hostname, parts.port or 443
        context, how = regress_compat.release_ssl_context(module, ca)
        if http2:
            # What httpcore does to the context when the client enables HTTP/2: offer h2 by ALPN.
            context.set_alpn_protocols(["h2", "http/1.1"])
        ctx.fact("sslContext", how)
        started = ctx.clock()
        facts, failure = handshake(host, port, context, timeout)
        ctx.fact("handshake", facts)
        if failure is None:
            ctx.record("handshake", started, ok=True, tlsVersion=facts.get("version"))
        else:
            ctx.record_error("handshake", started, failure)
        if not facts.get("ok") and facts.get("stage") != "connect":
            ctx.fact("servedLeafDer", unverified_leaf(host, port, timeout))
        # The same URL through the client: its verdict on the connection must agree with the handshake's.
        async with module.AsyncClient(**client_kwargs(module, ca, timeout, http2)) as client:
            await attempt(ctx, "client-request", lambda: client.get(url))
        return

    # AsyncClient: the one client class every release the contract drives has (0.10 - 0.11 had no sync one).
    async with module.AsyncClient(**client_kwargs(module, ca, timeout, http2)) as client:
        step = await attempt(ctx, check, lambda: client.get(url, headers={"accept": "application/json"}), keep=True)
    response = step.pop("_response", None)
    if response is None:
        return
    step["httpVersion"] = getattr(response, "http_version", None)
    if check == "document":
        body = response.content
        step["bytes"] = len(body)
        step["contentType"] = response.headers.get("content-type")
        if len(body) > MAX_BODY:
            ctx.fact("bodyProblem", "body of %d bytes is larger than the %d the check reads" % (len(body), MAX_BODY))
            return
        try:
            ctx.fact("body", json.loads(body.decode("utf-8")))
        except ValueError as exc:
            ctx.fact("bodyProblem", "not JSON: %s" % exc)
            ctx.fact("bodyHead", body[:200].decode("utf-8", "replace"))


async def attempt(ctx, name, request, keep=False):
    """Like ctx.attempt, with the latency and protocol recorded; keeps the response when asked."""
    started = ctx.clock()
    try:
        response = await request()
    except Exception as exc:  # what the canary did to the client: recorded, judged by the harness
        return ctx.record_error(name, started, exc)
    step = ctx.record(
        name,
        started,
        ok=True,
        status=response.status_code,
        httpVersion=getattr(response, "http_version", None),
        latencyMs=round((ctx.clock() - started) * 1000, 1),
    )
    if keep:
        step["_response"] = response
    return step


if __name__ == "__main__":
    regress_compat.main(smoke)
