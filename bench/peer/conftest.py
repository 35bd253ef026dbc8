"""Fixtures of the peer suite: what a Python team would write for these ten cases, the way httpx's own tests
do it: a uvicorn server in a background thread (one per test session, or per xdist worker) and trustme
certificates for TLS.

The app records every request it answers (path and the client's port, which tells connections apart), so a
test can ask the server side what it saw, as regress's fixtures do.
"""
import asyncio
import threading
import time
import urllib.parse

import pytest
import trustme
import uvicorn


class App:
    def __init__(self):
        self.seen = []  # (path, client port)

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        path = scope["path"]
        query = dict(urllib.parse.parse_qsl(scope.get("query_string", b"").decode()))
        self.seen.append((path, scope["client"][1] if scope.get("client") else None))
        if path == "/seen":
            count = sum(1 for p, _ in self.seen if p.startswith(query.get("prefix", "")))
            return await self.text(send, '{"count": %d}' % count)
        if path.startswith("/stream"):
            # An endless body, a chunk every `every` ms, until the client goes away (at most `max` ms).
            every = int(query.get("every", "50")) / 1000
            deadline = time.monotonic() + int(query.get("max", "30000")) / 1000
            await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
            while time.monotonic() < deadline:
                await send({"type": "http.response.body", "body": b"x" * 64, "more_body": True})
                await asyncio.sleep(every)
            return await send({"type": "http.response.body", "body": b""})
        if "ms" in query:
            await asyncio.sleep(int(query["ms"]) / 1000)
        return await self.text(send, "ok")

    @staticmethod
    async def text(send, body):
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": body.encode()})

    def ports(self, prefix):
        return [port for path, port in self.seen if path.startswith(prefix)]


class Server(uvicorn.Server):
    """uvicorn in a thread, as httpx's conftest runs it."""

    def install_signal_handlers(self):
        pass

    def serve_in_thread(self):
        thread = threading.Thread(target=self.run, daemon=True)
        thread.start()
        while not self.started:
            time.sleep(0.01)
        return thread


def start(app, **ssl):
    config = uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="off", log_level="error", timeout_keep_alive=60, **ssl)
    server = Server(config)
    server.serve_in_thread()
    port = server.servers[0].sockets[0].getsockname()[1]
    return server, port


@pytest.fixture(scope="session")
def anyio_backend():
    return "asyncio"


@pytest.fixture(scope="session")
def server():
    app = App()
    srv, port = start(app)
    yield app, "http://127.0.0.1:%d" % port
    srv.should_exit = True


@pytest.fixture(scope="session")
def ca():
    return trustme.CA()


@pytest.fixture(scope="session")
def tls_server(ca, tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls")
    cert = ca.issue_cert("127.0.0.1", "localhost")
    key_file, cert_file = folder / "server.key", folder / "server.pem"
    cert.private_key_pem.write_to_path(str(key_file))
    cert.cert_chain_pems[0].write_to_path(str(cert_file))
    app = App()
    srv, port = start(app, ssl_keyfile=str(key_file), ssl_certfile=str(cert_file))
    yield app, "https://localhost:%d" % port
    srv.should_exit = True
