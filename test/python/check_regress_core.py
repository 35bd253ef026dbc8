"""A pytest-free check of regress_core's error kinds on real standard-library exceptions (loopback only).

    python test/python/check_regress_core.py      # exit 0 when every check holds, 1 with what failed

Each exception is raised by the real code path (a refused connect, a server that hangs up, a read that times
out, corrupt zlib data, a malformed status line), not constructed, because the kind of a timeout depends on
where it was raised (regress_core._timeout_phase reads the traceback). The client families' kinds are checked
against real releases by hand (see the families' contract modules).
"""

import http.client
import os
import socket
import sys
import threading
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "harness", "python"))

import regress_core  # noqa: E402

failures = []


def expect(label, exc, kind):
    got = regress_core.classify_common(exc)
    print("%-28s %-22s %s" % (label, got, "" if got == kind else "EXPECTED " + kind))
    if got != kind:
        failures.append(label)


def raised(fn):
    try:
        fn()
    except Exception as exc:  # the exception under test
        return exc
    raise AssertionError("%r raised nothing" % fn)


def server(reply):
    """A one-connection loopback server that reads the request and does reply(conn); its port."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def serve():
        conn, _ = listener.accept()
        conn.recv(65536)
        reply(conn)
        listener.close()

    threading.Thread(target=serve, daemon=True).start()
    return listener.getsockname()[1]


def get(port, timeout=5):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    conn.request("GET", "/")
    return conn.getresponse().read()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def main():
    expect("refused", raised(lambda: get(free_port())), "connect")
    expect("hung up before a response", raised(lambda: get(server(lambda c: c.close()))), "remote-disconnected")
    expect(
        "closed mid-body",
        raised(lambda: get(server(lambda c: (c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789"), c.close())))),
        "remote-disconnected",
    )
    held = []
    expect("read timeout", raised(lambda: get(server(held.append), timeout=0.3)), "read-timeout")
    expect("connect timeout", raised(lambda: get(blackhole(), timeout=0.3)), "connect-timeout")
    expect("malformed status line", raised(lambda: get(server(lambda c: (c.sendall(b"NOT HTTP\r\n\r\n"), c.close())))), "protocol")
    expect("corrupt zlib", raised(lambda: zlib.decompress(b"not zlib")), "decode")
    expect("tls to a plain server", raised(lambda: tls_to_plain()), "tls")
    expect("runtime", RuntimeError("x"), "runtime")

    # A wrapper that holds the real error as data (a reason attribute, an argument), as clients do.
    class Wrapper(Exception):
        def __init__(self, message, reason):
            super().__init__(message)
            self.reason = reason

    refused = raised(lambda: get(free_port()))
    expect("wrapped in .reason", Wrapper("max retries", refused), "connect")
    expect("wrapped in args", Exception("connection aborted", ConnectionResetError(104, "reset")), "remote-disconnected")
    chain = regress_core.describe_links(Wrapper("outer", Exception("middle", ConnectionResetError(104, "reset"))))
    if len(chain) != 2 or "ConnectionResetError" not in chain[1]:
        failures.append("describe_links: %r" % chain)
    print("\n%d failure(s)%s" % (len(failures), ": " + ", ".join(failures) if failures else ""))
    return 1 if failures else 0


_kept = []


def blackhole():
    """A listener that never accepts, its backlog full: the kernel drops further SYNs (a connect that times out)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    _kept.append(listener)
    for _ in range(4):
        filler = socket.socket()
        filler.setblocking(False)
        try:
            filler.connect(listener.getsockname())
        except BlockingIOError:
            pass
        _kept.append(filler)
    return listener.getsockname()[1]


def tls_to_plain():
    import ssl

    port = server(lambda c: (c.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n"), c.close()))
    context = ssl.create_default_context()
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        context.wrap_socket(raw, server_hostname="localhost")


if __name__ == "__main__":
    sys.exit(main())
