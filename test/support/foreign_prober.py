"""Another local process touching fixture ports: what a port scanner or a neighbour's test does.

Usage: foreign_prober.py URL... ; at once (then it prints "probed"), and again at 0.3 s, 1.0 s and 2.5 s, it
opens, per URL, a connection that sends nothing, one that closes at once, and one (TLS where the URL is
https, certificate unchecked) that sends requests for the paths the scenarios' judges count. Every socket
is closed by about 6 s; the process ends by itself.
"""
import socket
import ssl
import sys
import threading
import time
import urllib.parse

PATHS = ["/cycle/1", "/slow/limits-9?ms=50", "/slow/gather-9?ms=50", "/slow/cancel-9?ms=50", "/followup", "/ka/configured/1", "/tls/request"]
OFFSETS = [0.0, 0.3, 1.0, 2.5]
HOLD = 2.0
sockets = []


def probe(url):
    parts = urllib.parse.urlsplit(url)
    address = (parts.hostname, parts.port)
    try:
        idle = socket.create_connection(address, timeout=2)
        sockets.append(idle)
        socket.create_connection(address, timeout=2).close()
        talk = socket.create_connection(address, timeout=2)
        if parts.scheme == "https":
            context = ssl._create_unverified_context()
            talk = context.wrap_socket(talk, server_hostname="localhost")
        sockets.append(talk)
        for path in PATHS:
            talk.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (path, parts.netloc)).encode())
    except OSError:
        pass  # a refusal or a closed fixture is fine: the point is to have tried


def main():
    started = time.monotonic()
    for offset in OFFSETS:
        time.sleep(max(0.0, offset - (time.monotonic() - started)))
        threads = [threading.Thread(target=probe, args=(u,)) for u in sys.argv[1:]]
        for t in threads:
            t.start()
        for t in threads:
            t.join(3)
        if offset == 0.0:
            print("probed", flush=True)
    time.sleep(HOLD)
    for s in sockets:
        try:
            s.close()
        except OSError:
            pass


main()
