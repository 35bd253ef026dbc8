"""psf/requests #6730 (and #6715 / #6717 beside it): an HTTPAdapter subclass whose init_poolmanager hands urllib3 its own
ssl_context, with verify left at its default (True).

Case ``adapter-context-default-ca`` (#6730). The user's context is urllib3's ``create_urllib3_context()``, which
holds no CA: requests is expected to load its default CA bundle into it, as it did up to 2.32.2 and again from
2.32.5. For that to be observable on loopback, requests' default bundle must trust the run's CA. requests finds
its default bundle through certifi (``requests.certs.where()`` -> ``certifi.where()``, read once at import into
``requests.utils.DEFAULT_CA_BUNDLE_PATH``; 2.32.0 - 2.32.4 also load it at import into a module-level context).
So this process gets a certifi of its own: a copy of the installed certifi package in a temporary folder, with
the run's CA appended to the COPY's cacert.pem (the installed file is hard-linked across environments and is
never written), first on sys.path; then requests is imported afresh, as a process started with that sys.path
would import it (the warm worker imported requests and certifi before this case existed: those module objects
are dropped from sys.modules first; nothing of requests is patched or replaced). No environment variable is
involved: REQUESTS_CA_BUNDLE would turn verify=True into a path, which every release loads, and hide the bug.
The facts say which bundle requests took as its default and whether it holds the run's CA; a control step
(``plain-session``: no adapter) must be accepted on every release.

Case ``adapter-context-used`` (#6715 / #6717, fixed by PR #6716). No certifi copy: the user's context itself trusts the run's CA
(load_verify_locations, as #6717's users loaded a local root) and caps the protocol at TLS 1.2. A release that
swaps in its own default context for verify=True refuses the server (its bundle lacks the run's CA); one that
uses the user's context is accepted, and the server sees TLS 1.2.
"""
import importlib
import importlib.metadata
import importlib.util
import os
import shutil
import ssl
import sys
import tempfile

import regress_requests as rr


def _drop(prefix):
    for name in [n for n in sys.modules if n == prefix or n.startswith(prefix + ".")]:
        del sys.modules[name]


def requests_trusting_run_ca(ctx, folder):
    """requests imported afresh with a certifi whose bundle is the installed one plus the run's CA."""
    # The installed package, found through its distribution: the certifi module in sys.modules may be the
    # copy an earlier call made (a repetition runs this again in one process) and its folder is gone.
    installed = str(importlib.metadata.distribution("certifi").locate_file("certifi"))
    copy = os.path.join(folder, "certifi")
    shutil.copytree(installed, copy, ignore=shutil.ignore_patterns("__pycache__"))
    bundle = os.path.join(copy, "cacert.pem")
    # A distribution's certifi may keep no bundle of its own (Debian's python3-certifi: where() names the
    # system's ca-certificates.crt). The copy then gets that bundle as its cacert.pem and a where() naming it,
    # so requests' default is still "what certifi says, plus the run's CA".
    installed_bundle = os.path.join(installed, "cacert.pem")
    if not os.path.exists(installed_bundle):
        # Asked of the installed core.py itself: sys.modules may hold an earlier repetition's copy.
        spec = importlib.util.spec_from_file_location("regress_installed_certifi_core", os.path.join(installed, "core.py"))
        core = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(core)
        installed_bundle = core.where()
        shutil.copyfile(installed_bundle, bundle)
        with open(os.path.join(copy, "core.py"), "w", encoding="ascii") as handle:
            handle.write(
                "import os\n\n\ndef where():\n    return os.path.join(os.path.dirname(__file__), 'cacert.pem')\n\n\n"
                "def contents():\n    with open(where(), encoding='ascii') as f:\n        return f.read()\n"
            )
        ctx.fact("certifi_bundle_outside_package", installed_bundle)
    with open(ctx.input["caFile"], encoding="ascii") as handle:
        run_ca = handle.read().strip()
    with open(bundle, "a", encoding="ascii") as handle:
        handle.write("\n# regress: the run's CA (this copy only)\n" + run_ca + "\n")
    _drop("requests")
    _drop("certifi")
    # The copy first; this program's own folder left out while importing, or this file (requests.py) would
    # be found as "requests" (it is sys.path[0] when the harness runs a program, as for `python requests.py`).
    here = os.path.dirname(os.path.abspath(__file__))
    saved = list(sys.path)
    sys.path[:] = [folder] + [p for p in saved if os.path.abspath(p or os.curdir) != here]
    try:
        requests = importlib.import_module("requests")
    finally:
        sys.path[:] = saved
    default = getattr(requests.utils, "DEFAULT_CA_BUNDLE_PATH", None)
    ctx.fact("default_bundle", default)
    ctx.fact("default_bundle_is_copy", bool(default) and os.path.abspath(default) == os.path.abspath(bundle))
    with open(default, encoding="ascii") as handle:
        ctx.fact("default_bundle_trusts_run_ca", run_ca in handle.read())
    ctx.fact("installed_bundle_trusts_run_ca", _holds(installed_bundle, run_ca))
    return requests


def _holds(path, pem):
    with open(path, encoding="ascii") as handle:
        return pem in handle.read()


def context_holding(context):
    """How many CA certificates the user's context holds now (what was loaded into it, by whom)."""
    return context.cert_store_stats().get("x509_ca")


def scenario(ctx):
    case = ctx.input["case"]
    ctx.fact("openssl", ssl.OPENSSL_VERSION)
    if case == "adapter-context-default-ca":
        folder = tempfile.mkdtemp(prefix="regress-certifi-")
        try:
            requests = requests_trusting_run_ca(ctx, folder)
            api = rr.Api(requests, ctx.token)
            ctx.fact("requests_version", requests.__version__)
            request(ctx, api, "plain-session", ctx.input["controlUrl"], None)
            request(ctx, api, "adapter-context", ctx.input["adapterUrl"], new_context())
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    elif case == "adapter-context-used":
        if not hasattr(ssl, "TLSVersion"):
            raise rr.NotApplicable("this Python's ssl module has no TLSVersion")
        context = new_context()
        context.load_verify_locations(ctx.input["caFile"])
        context.maximum_version = ssl.TLSVersion.TLSv1_2
        request(ctx, ctx.api, "adapter-context", ctx.input["adapterUrl"], context)
    else:
        raise RuntimeError("unknown case %r" % case)


def new_context():
    # The context of the upstream reports: urllib3's own factory, which loads no CA by itself.
    from urllib3.util.ssl_ import create_urllib3_context

    return create_urllib3_context()


def request(ctx, api, name, base, context):
    if context is None:
        session = api.session()
    else:
        if not api.supports_ssl_context:
            raise rr.NotApplicable("this requests/urllib3 pair cannot hand an ssl_context to its pools")
        ctx.fact(name + "_context_cas_before", context_holding(context))
        session = api.session(adapter=api.adapter(ssl_context=context))
    with ctx.closing(session):
        ctx.attempt(name, lambda: session.get("%s/adapter/%s" % (base, name), timeout=(5, 5)))
    if context is not None:
        ctx.fact(name + "_context_cas_after", context_holding(context))


rr.main(scenario)
