"""What an environment holds: the core packages' versions, Python's and OpenSSL's, and whether the client under
test really imports. One implementation for every place that asks: the warm worker's ready line
(worker.py imports this module) and the harness's own probe (python-env.ts and the container runtime run
this file's text with ``python -c``, so it must stay a self-contained script without other imports of ours).

Versions come from the installed metadata, found the way importlib.metadata finds it (the first matching
``*.dist-info`` / ``*.egg-info`` on sys.path, names compared in PEP 503 form) but without importing
importlib.metadata: with its imports (email, zipfile, pathlib, ...) that cost about 0.08 s of CPU per
probe, and a matrix starts a worker per environment.
"""

import json
import os
import re
import ssl
import sys

# The distributions reported when REGRESS_REPORTED (the client family's list, space-separated) is not set: httpx's.
NAMES = ["httpx", "httpcore", "h11", "anyio", "httpx2", "httpcore2", "h2", "sniffio", "certifi", "idna"]
_FOLDER = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*?)-(?P<version>[^-/]+?)(?:-py\d[^/]*)?\.(?:dist-info|egg-info)$")


def _normal(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared_version(path):
    """The Version header of a dist-info's METADATA or an egg-info's PKG-INFO (folder or file), else None."""
    candidates = [os.path.join(path, "METADATA"), os.path.join(path, "PKG-INFO")] if os.path.isdir(path) else [path]
    for candidate in candidates:
        try:
            with open(candidate, encoding="utf-8", errors="replace") as f:
                for line in f:
                    if not line.strip():
                        break  # the headers end at the first blank line
                    if line.startswith("Version:"):
                        return line.split(":", 1)[1].strip()
        except OSError:
            continue
    return None


def reported_names():
    """The distributions to report: REGRESS_REPORTED's names when it is set, else NAMES."""
    given = os.environ.get("REGRESS_REPORTED", "").split()
    return given or list(NAMES)


def installed_versions(names=None):
    """{name: version or None} for each name (default: reported_names()), from the first sys.path entry that
    holds its metadata."""
    names = reported_names() if names is None else names
    wanted = {_normal(n): n for n in names}
    found = {}
    for entry in sys.path:
        if len(found) == len(wanted):
            break
        try:
            listing = os.listdir(entry or ".")
        except OSError:
            continue  # a zip, a missing folder
        for item in sorted(listing):
            match = _FOLDER.match(item)
            if not match:
                continue
            key = _normal(match.group("name"))
            if key in wanted and key not in found:
                version = _declared_version(os.path.join(entry or ".", item))
                if version:
                    found[key] = version
    return {name: found.get(_normal(name)) for name in names}


def probe(module_name=None):
    packages = installed_versions()
    module = module_name or os.environ.get("REGRESS_CLIENT_MODULE") or ("httpx" if packages.get("httpx") else "httpx2" if packages.get("httpx2") else None)
    import_error = None
    if module:
        try:
            __import__(module)
        except BaseException as error:  # a client that does not import is reported, never hidden
            import_error = "%s: %s" % (type(error).__name__, error)
    return {"python": sys.version.split()[0], "openssl": ssl.OPENSSL_VERSION, "packages": packages, "importError": import_error}


if __name__ == "__main__":
    print(json.dumps(probe(sys.argv[1] if len(sys.argv) > 1 else None)))
