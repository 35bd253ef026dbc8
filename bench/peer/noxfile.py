"""The peer: the same ten cases as a pytest suite, run by nox over httpx releases, one session per release
(uv-made virtual environments). The releases come from REGRESS_PEER_RELEASES (space-separated versions),
so the bench (scripts/bench.ts) runs exactly the releases it gave regress.

    REGRESS_PEER_RELEASES="0.27.2 0.28.1" nox -f bench/peer/noxfile.py            # one session at a time
    REGRESS_PEER_RELEASES="0.28.1" nox -f bench/peer/noxfile.py -- -n 4            # pytest-xdist inside each
"""
import os

import nox

nox.options.default_venv_backend = "uv"
nox.options.reuse_venv = "yes"

RELEASES = os.environ.get("REGRESS_PEER_RELEASES", "0.28.1").split()


@nox.session
@nox.parametrize("httpx", RELEASES)
def tests(session, httpx):
    session.install("httpx==%s" % httpx, "anyio", "pytest", "pytest-xdist", "uvicorn", "trustme")
    session.run("pytest", "-q", "-p", "no:cacheprovider", os.path.join(os.path.dirname(__file__), "test_cases.py"), *session.posargs)
