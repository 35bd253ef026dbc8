"""The aiohttp contract's error kinds on real exceptions from a real aiohttp release (loopback only).

    <venv with aiohttp>/bin/python test/python/check_regress_aiohttp.py   # exit 0 when every kind holds

Run it with an interpreter that has the aiohttp release to check installed, and without the shell's
TLS/proxy variables (SSL_CERT_FILE, HTTP_PROXY, ...): the client under test must not inherit them. Each
exception comes from the release's own code path against a loopback server (an untrusted certificate, a
certificate for another name, a refused port, a body cut short, a hang-up, a reset, a silent server, a
redirect loop, a corrupt gzip body, a TLS server that never answers the handshake, a refused and a 407 proxy,
a full pool), never constructed. The keys and certificates are made for the run (openssl) in a temporary
folder. Not part of the vitest suite: it needs an aiohttp release, which the harness installs per run.
"""

import asyncio
import os
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(HERE, "..", "..", "harness", "python"), os.path.join(HERE, "..", "..", "families", "aiohttp")]

import aiohttp  # noqa: E402

import regress_aiohttp as ra  # noqa: E402


def make_certs(folder):
    """A CA, a leaf for 127.0.0.1 and one for another name (both signed by it), and a self-signed leaf."""

    def run(*args):
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "1", "-subj", "/CN=check CA",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    for name, san in (("good", "DNS:localhost,IP:127.0.0.1"), ("wrong", "DNS:wrong.example")):
        run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + name)
        with open(os.path.join(folder, name + ".ext"), "w") as ext:
            ext.write("subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n" % san)
        run("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", name + ".pem", "-days", "1", "-extfile", name + ".ext")
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "self.key", "-out", "self.pem", "-days", "1", "-subj", "/CN=localhost",
        "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1")


def listener():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    return s


def serve(handler, tls=None):
    """A loopback server running handler(conn) for each connection (a thread each); its port."""
    s = listener()

    def accept_loop():
        while True:
            try:
                conn, _ = s.accept()
            except OSError:
                return

            def one(conn=conn):
                try:
                    handler(tls.wrap_socket(conn, server_side=True) if tls else conn)
                except Exception:
                    pass  # the client hung up first: what several cases are about

            threading.Thread(target=one, daemon=True).start()

    threading.Thread(target=accept_loop, daemon=True).start()
    return s.getsockname()[1]


def refused_port():
    s = listener()
    port = s.getsockname()[1]
    s.close()
    return port


def read_head(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            return data
        data += chunk
    return data


def ok(conn):
    while read_head(conn):
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")


def cut_body(conn):
    read_head(conn)
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789")
    conn.close()


def close_unanswered(conn):
    read_head(conn)
    conn.close()


def reset(conn):
    read_head(conn)
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


def silent(conn):
    read_head(conn)
    time.sleep(6)


def slow(conn):
    read_head(conn)
    time.sleep(3)
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
    time.sleep(3)


def redirect_loop(conn):
    while read_head(conn):
        conn.sendall(b"HTTP/1.1 302 Found\r\nLocation: /again\r\nContent-Length: 0\r\n\r\n")


def bad_gzip(conn):
    body = b"\x1f\x8b\x08\x00not-a-deflate-stream" * 4
    read_head(conn)
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    time.sleep(1)


def proxy_407(conn):
    read_head(conn)
    conn.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=x\r\nContent-Length: 0\r\n\r\n")
    time.sleep(1)


def no_handshake(conn):
    time.sleep(6)


async def check(certs):
    def tls(name):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(os.path.join(certs, name + ".pem"), os.path.join(certs, name + ".key"))
        return context

    ctx = ra.Context({"regress": {"clientToken": "check"}}, aiohttp)
    api = ctx.api
    trust = ssl.create_default_context(cafile=os.path.join(certs, "ca.pem"))
    failures = []

    def report(label, step, expect):
        error = step.get("error") or {}
        got = error.get("kind") or "ok:%s" % step.get("status")
        print("  %-22s %-20s %-42s %s" % (label, got, error.get("type", ""), "" if got == expect else "EXPECTED " + expect))
        if got != expect:
            failures.append(label)

    async def case(label, url, expect, connector=None, timeout=None, **request):
        session = api.session(connector=api.connector(**(connector or {})), timeout=api.timeout(**(timeout or {"total": 10})))
        async with ctx.closing(session):
            report(label, await ctx.attempt(label, lambda: api.fetch(session, "GET", url, **request)), expect)

    await case("certificate", "https://127.0.0.1:%d/" % serve(ok, tls("self")), "certificate", {"ssl": trust})
    await case("hostname", "https://127.0.0.1:%d/" % serve(ok, tls("wrong")), "hostname", {"ssl": trust})
    await case("trusted", "https://127.0.0.1:%d/" % serve(ok, tls("good")), "ok:200", {"ssl": trust})
    await case("refused", "http://127.0.0.1:%d/" % refused_port(), "connect")
    await case("body-cut-short", "http://127.0.0.1:%d/" % serve(cut_body), "remote-disconnected")
    await case("closed-unanswered", "http://127.0.0.1:%d/" % serve(close_unanswered), "remote-disconnected")
    await case("reset", "http://127.0.0.1:%d/" % serve(reset), "remote-disconnected")
    await case("sock-read", "http://127.0.0.1:%d/" % serve(silent), "read-timeout", timeout={"total": 10, "sock_read": 0.5})
    await case("total", "http://127.0.0.1:%d/" % serve(silent), "timeout", timeout={"total": 0.5})
    await case("redirect-loop", "http://127.0.0.1:%d/" % serve(redirect_loop), "too-many-redirects", max_redirects=3)
    await case("bad-gzip", "http://127.0.0.1:%d/" % serve(bad_gzip), "decode")
    await case("connect (handshake)", "https://127.0.0.1:%d/" % serve(no_handshake), "connect-timeout", {"ssl": trust}, {"total": 10, "connect": 0.5})
    await case("sock-connect", "https://127.0.0.1:%d/" % serve(no_handshake), "connect-timeout", {"ssl": trust}, {"total": 10, "sock_connect": 0.5})
    await case("proxy-refused", "http://127.0.0.1:%d/" % serve(ok), "proxy", proxy="http://127.0.0.1:%d" % refused_port())
    await case("proxy-407", "https://127.0.0.1:%d/" % serve(ok, tls("good")), "proxy-auth", {"ssl": trust}, proxy="http://127.0.0.1:%d" % serve(proxy_407))

    # A bare response (session.get, no fetch): ctx.attempt reads and releases it, so the one connection is free again.
    port = serve(ok)
    session = api.session(connector=api.connector(limit=1), timeout=api.timeout(total=10))
    async with ctx.closing(session):
        for n in (1, 2):
            step = await ctx.attempt("bare-%d" % n, lambda: session.get("http://127.0.0.1:%d/" % port))
            report("bare response %d" % n, step, "ok:200")
            if step.get("bodyBytes") != 2:
                failures.append("bare response %d: bodyBytes %r" % (n, step.get("bodyBytes")))

    # A large body read in chunks and counted (fetch_counted): bodyBytes is the count.
    port = serve(ok)
    session = api.session(timeout=api.timeout(total=10))
    async with ctx.closing(session):
        step = await ctx.attempt("counted", lambda: api.fetch_counted(session, "GET", "http://127.0.0.1:%d/" % port, chunk_size=1))
        report("counted body", step, "ok:200")
        if step.get("bodyBytes") != 2:
            failures.append("counted body: bodyBytes %r" % step.get("bodyBytes"))

    # The pool: limit=1, a slow request holds the connection, a second one waits for it past its timeout.
    for label, timeout in (("pool (connect=)", {"total": 10, "connect": 0.5}), ("pool (total=)", {"total": 0.5})):
        port = serve(slow)
        session = api.session(connector=api.connector(limit=1), timeout=api.timeout(total=10))
        async with ctx.closing(session):
            holder = asyncio.ensure_future(ctx.attempt("holder", lambda: api.fetch(session, "GET", "http://127.0.0.1:%d/a" % port)))
            await asyncio.sleep(0.3)
            report(label, await ctx.attempt(label, lambda: api.fetch(session, "GET", "http://127.0.0.1:%d/b" % port, timeout=api.timeout(**timeout))), "pool-timeout")
            await holder
    return failures


def main():
    print("aiohttp %s on Python %s" % (aiohttp.__version__, sys.version.split()[0]))
    with tempfile.TemporaryDirectory() as certs:
        make_certs(certs)
        failures = asyncio.run(check(certs))
    print("every kind holds" if not failures else "FAILED: " + ", ".join(failures))
    sys.exit(1 if failures else 0)


main()
