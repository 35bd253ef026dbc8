"""`regress smoke`'s client program: one check of a canary service, made through the client under test.

Runs under the same contract as a scenario's client.py (regress_compat.main: JSON input, one
REGRESS-RESULT line), with the client's own trust store and settings: nothing here configures httpx beyond
what a user of the release would (the CA bundle given with --ca, else the client's default).

The input's ``check`` says which check:

* ``health``   GET url+path; records status, latency and the negotiated protocol (``http_version``); a
               redirect is followed (by further requests through the client) only to record its Location
               chain, so a loop can be named;
* ``tls``      a real handshake with the SSLContext the release itself builds (``create_ssl_context``, or
               ``SSLConfig.load_ssl_context`` in 0.10 - 0.13),
               recording version, cipher, ALPN, the peer certificate (verified form and DER) or the OpenSSL
               verify code of the failure; then the same URL through the client, so the judge can check
               the client agrees with the handshake (over HTTP/1.1 when --http2 was asked of a client that
               cannot speak it: the TLS check does not need HTTP/2). When the handshake fails, the
               certificates the server sent (unverified) and, given the issuer the leaf names (fetched by
               the harness from its caIssuers URL), whether the client's trust completes the chain with it;
* ``document`` GET url+path and return the JSON body (the OpenAPI document, or an endpoint whose JSON shape
               is compared); the comparison itself happens in the harness (api-smart-diff).

Bodies are streamed and read up to ``maxBodyBytes`` (--max-body; the rest is never read): a health path
that answers a gigabyte costs the check that bound, not the gigabyte, and the step says where the body was
cut (``cutAt``).
"""

import base64
import json
import socket
import ssl
import time
import urllib.parse

import regress_compat

# The default bound on what a check reads of a body (the harness passes --max-body).
MAX_BODY = 16 * 1024 * 1024
# Hops followed to show where a redirect leads (httpx's own default limit is 20).
MAX_REDIRECTS = 10


def default_trust(module):
    """Where the release's default trust comes from, for the report (certifi in a venv, the distro's in an image)."""
    try:
        import certifi

        return {"certifi": certifi.where()}
    except Exception as exc:  # an image without certifi: httpx's default then fails to build, recorded too
        return {"certifi": None, "why": "%s: %s" % (type(exc).__name__, exc)}


def http2_problem(module):
    """Why this client cannot speak HTTP/2 here (no http2= switch, or no h2 package), or None."""
    try:
        regress_compat.Api(module).require_http2()
    except regress_compat.NotApplicable as exc:
        return str(exc)
    return None


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
    facts = {"host": host, "port": port, "clientVersions": version_range(context)}
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


def version_range(context):
    """The protocol versions this context allows (MINIMUM_SUPPORTED: what OpenSSL's configuration allows)."""
    try:
        return {"minimum": context.minimum_version.name, "maximum": context.maximum_version.name}
    except (AttributeError, ValueError):
        return None


def unverified_chain(host, port, timeout):
    """The server's certificates without verifying them, so a failed check still shows what was served:
    the leaf (DER, base64) and every certificate the server sent (Python 3.10+ exposes the peer's chain as
    sent, SSL_get_peer_cert_chain; None before)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with socket.create_connection((host, port), timeout=timeout) as raw:
            with context.wrap_socket(raw, server_hostname=host) as tls:
                leaf = base64.b64encode(tls.getpeercert(binary_form=True) or b"").decode()
                sent = None
                chain = getattr(tls, "get_unverified_chain", None) or getattr(tls._sslobj, "get_unverified_chain", None)
                if chain is not None:
                    sent = [base64.b64encode(as_der(c)).decode() for c in (chain() or [])]
                return leaf, sent
    except (OSError, ssl.SSLError):
        return None, None


def as_der(cert):
    # 3.13 returns DER bytes; 3.10 - 3.12's private method returns _ssl.Certificate objects.
    if isinstance(cert, (bytes, bytearray)):
        return bytes(cert)
    return cert.public_bytes(ssl._ssl.ENCODING_DER)


def completes_with(module, ca, host, port, timeout, issuer_der):
    """Whether the client's own trust verifies the server once the issuer the leaf names is added: the
    release's context, plus that one certificate; partial chains off, so the issuer must itself chain to a
    CA the client trusts."""
    context, _ = regress_compat.release_ssl_context(module, ca)
    if hasattr(ssl, "VERIFY_X509_PARTIAL_CHAIN"):
        context.verify_flags &= ~ssl.VERIFY_X509_PARTIAL_CHAIN
    try:
        context.load_verify_locations(cadata=base64.b64decode(issuer_der))
    except (ssl.SSLError, ValueError) as exc:
        return {"ok": False, "error": "%s: %s" % (type(exc).__name__, exc)}
    facts, _ = handshake(host, port, context, timeout)
    return {k: facts[k] for k in ("ok", "stage", "verifyCode", "verifyMessage", "error") if k in facts}


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
            # The TLS check does not need HTTP/2: a client that cannot speak it still checks the
            # handshake, and its own request goes over HTTP/1.1.
            problem = http2_problem(module)
            ctx.fact("http2", {"requested": True, "usable": problem is None, "why": problem})
            http2 = problem is None
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
            leaf, sent = unverified_chain(host, port, timeout)
            ctx.fact("servedLeafDer", leaf)
            ctx.fact("servedChainDer", sent)
            issuer = data.get("missingIssuerDer")
            if issuer and facts.get("stage") == "verify":
                ctx.fact("completedWithIssuer", completes_with(module, ca, host, port, timeout, issuer))
        # The same URL through the client: its verdict on the connection must agree with the handshake's.
        async with module.AsyncClient(**client_kwargs(module, ca, timeout, http2)) as client:
            await attempt(ctx, "client-request", lambda: client.get(url))
        return

    limit = int(data.get("maxBodyBytes") or MAX_BODY)
    # AsyncClient: the one client class every release the contract drives has (0.10 - 0.11 had no sync one).
    async with module.AsyncClient(**client_kwargs(module, ca, timeout, http2)) as client:
        step, body = await fetch(ctx, client, check, url, limit)
        if step.get("ok") and 300 <= step.get("status", 0) < 400 and step.get("location"):
            await follow_redirects(ctx, client, url, step, limit)
    if body is None:
        return
    if check == "document":
        if step.get("cutAt") is not None:
            ctx.fact("bodyProblem", "the body is larger than the %d bytes the check reads (--max-body): cut at %d bytes" % (limit, limit))
            return
        try:
            ctx.fact("body", json.loads(body.decode("utf-8")))
        except ValueError as exc:
            ctx.fact("bodyProblem", "not JSON: %s" % exc)
            ctx.fact("bodyHead", body[:200].decode("utf-8", "replace"))


def no_redirects(client):
    """Request arguments that keep the client from following redirects itself (0.20+ follows none by
    default; earlier releases take allow_redirects=)."""
    params = regress_compat._params(client.stream if hasattr(client, "stream") else client.request)
    if "follow_redirects" in params:
        return {"follow_redirects": False}
    if "allow_redirects" in params:
        return {"allow_redirects": False}
    return {}


async def fetch(ctx, client, name, url, limit, headers=None):
    """GET through the client, streamed: the step (status, latency, protocol, bytes read, where the body
    was cut) and the body read, at most `limit` bytes (None when the request failed)."""
    headers = headers if headers is not None else {"accept": "application/json"}
    started = ctx.clock()
    kwargs = dict(headers=headers, **no_redirects(client))
    try:
        if hasattr(client, "stream"):
            async with client.stream("GET", url, **kwargs) as response:
                step = record_response(ctx, name, started, response)
                body = await read_bounded(response, step, limit)
        else:  # 0.10: stream=True instead of client.stream()
            response = await client.get(url, stream=True, **kwargs)
            try:
                step = record_response(ctx, name, started, response)
                body = await read_bounded(response, step, limit)
            finally:
                await response.aclose()
    except Exception as exc:  # what the canary did to the client: recorded, judged by the harness
        return ctx.record_error(name, started, exc), None
    return step, body


def record_response(ctx, name, started, response):
    step = ctx.record(
        name,
        started,
        ok=True,
        status=response.status_code,
        httpVersion=getattr(response, "http_version", None),
        latencyMs=round((ctx.clock() - started) * 1000, 1),
        contentType=response.headers.get("content-type"),
    )
    location = response.headers.get("location")
    if location is not None:
        step["location"] = location
    return step


async def read_bounded(response, step, limit):
    """At most `limit` bytes of the body; the rest is never read (the connection is closed with it)."""
    chunks = []
    size = 0
    async for chunk in response.aiter_bytes():
        if size + len(chunk) > limit:
            chunks.append(chunk[: limit - size])
            size = limit
            step["cutAt"] = limit
            break
        chunks.append(chunk)
        size += len(chunk)
    step["bytes"] = size
    return b"".join(chunks)


async def follow_redirects(ctx, client, url, first, limit):
    """Where a redirect leads: each hop requested through the client (redirects off, so each Location is
    seen), until an answer that is not a redirect, a URL seen before (a loop), or MAX_REDIRECTS hops."""
    chain = [{"url": url, "status": first["status"], "location": first["location"]}]
    seen = {url}
    current = url
    location = first["location"]
    loop = False
    while len(chain) <= MAX_REDIRECTS:
        current = urllib.parse.urljoin(current, location)
        if current in seen:
            loop = True
            break
        seen.add(current)
        step, _ = await fetch(ctx, client, "redirect", current, min(limit, 64 * 1024), headers={})
        if not step.get("ok"):
            chain.append({"url": current, "error": step.get("error")})
            break
        hop = {"url": current, "status": step["status"]}
        chain.append(hop)
        location = step.get("location")
        if not (300 <= step["status"] < 400 and location):
            break
        hop["location"] = location
    ctx.fact("redirects", {"chain": chain, "loop": loop, "limitReached": not loop and len(chain) > MAX_REDIRECTS})


async def attempt(ctx, name, request, keep=False):
    """Like ctx.attempt, with the latency and protocol recorded; keeps the response when asked."""
    started = ctx.clock()
    try:
        response = await request()
    except Exception as exc:  # what the canary did to the client: recorded, judged by the harness
        return ctx.record_error(name, started, exc)
    step = record_response(ctx, name, started, response)
    if keep:
        step["_response"] = response
    return step


if __name__ == "__main__":
    regress_compat.main(smoke)
