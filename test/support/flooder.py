"""Another local process flooding fixture ports: connect-and-close with no data, and a held connection.

Usage: flooder.py RATE SECONDS ; reads fixture ports from stdin, one per line, as cases start. Over all
ports known so far, round robin, it opens and at once closes RATE connections a second (never a byte sent),
and holds one more connection open per port (no byte either) until it stops. It stops after SECONDS, or
when stdin closes, whichever is first; bounded: at most RATE * SECONDS connections. Its last line is a JSON
summary of what it did.
"""
import json
import socket
import sys
import threading
import time

rate = float(sys.argv[1])
seconds = float(sys.argv[2])
ports = []
held = []
lock = threading.Lock()
stop = threading.Event()


def read_ports():
    for line in sys.stdin:
        line = line.strip()
        if not line.isdigit():
            continue
        port = int(line)
        with lock:
            ports.append(port)
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=2)
            held.append(s)
        except OSError:
            pass
    stop.set()


def main():
    threading.Thread(target=read_ports, daemon=True).start()
    started = time.monotonic()
    attempts = connected = 0
    gap = 1.0 / rate
    next_at = started
    i = 0
    while not stop.is_set() and time.monotonic() - started < seconds:
        with lock:
            current = list(ports)
        if current:
            port = current[i % len(current)]
            i += 1
            attempts += 1
            try:
                s = socket.create_connection(("127.0.0.1", port), timeout=1)
                connected += 1
                s.close()
            except ConnectionRefusedError:
                # That case is over and its fixture closed: flood the live ones.
                with lock:
                    if port in ports:
                        ports.remove(port)
            except OSError:
                pass
        next_at += gap
        delay = next_at - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        else:
            next_at = time.monotonic()
    for s in held:
        s.close()
    elapsed = time.monotonic() - started
    print(json.dumps({"attempts": attempts, "connected": connected, "held": len(held), "seconds": round(elapsed, 2), "ports": len(ports)}), flush=True)


main()
