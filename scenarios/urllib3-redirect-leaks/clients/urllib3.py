"""urllib3 across a cross-origin redirect (server A answers 302/303 to server B, another port of 127.0.0.1):
what urllib3's own redirect handling carries to B, and whether a PoolManager told not to redirect still does.

- cookie: a Cookie header given to the request survives the 302 to B (CVE-2023-43804).
- proxy-authorization: a Proxy-Authorization header, no proxy in use, survives the 302 (CVE-2024-37891).
- body-after-303: a POST answered 303 becomes a GET to B that still carries the body (CVE-2023-45803).
- retry-redirect-0: PoolManager(retries=Retry(redirect=0)), retries=0 and retries=False, the three forms of
  GHSA-pq67-6m6q-mj2v, still follow A's 302 to B (CVE-2025-50181).

Every request goes through PoolManager.request with urllib3's default redirect handling: the leak, if any,
is urllib3's own. Each step also records what answered it (the landing JSON names the server) and the hops
urllib3's Retry history kept, so the judge reads the client's side beside what A and B recorded.
"""
import json

import regress_urllib3 as ru


def history_of(response):
    """The redirects urllib3 followed, from the Retry object the response carries (1.26 and 2.x keep one)."""
    retries = getattr(response, "retries", None)
    return [
        {"method": h.method, "url": h.url, "status": h.status, "location": h.redirect_location}
        for h in (getattr(retries, "history", None) or ())
    ]


def answer_of(response):
    """Who answered the last request: the landing page's JSON (server, method, path, bodyBytes), else its first bytes."""
    data = response.data
    try:
        return json.loads(data.decode("utf-8"))
    except ValueError:
        return {"firstBytes": data[:80].decode("latin-1")}


def fetch(ctx, name, call):
    """One request as a step: its status or exception, plus the answer and the hops urllib3 followed."""
    box = {}

    def run():
        box["response"] = call()
        return box["response"]

    step = ctx.attempt(name, run)
    response = box.get("response")
    if response is not None:
        step["answer"] = answer_of(response)
        step["hops"] = history_of(response)
    return step


def header_leak(ctx, data, header, value):
    api = ctx.api
    manager = api.pool_manager()
    url = "%s/redirect?status=302&to=/landing/%s" % (data["a"], data["case"])
    with ctx.closing(manager):
        fetch(ctx, data["case"], lambda: manager.request(
            "GET", url, headers=api.headers({header: value}), timeout=api.timeout(connect=10, read=10)))


def body_after_303(ctx, data):
    api = ctx.api
    manager = api.pool_manager()
    url = "%s/redirect?status=303&to=/landing/%s" % (data["a"], data["case"])
    body = data["body"].encode("ascii")
    with ctx.closing(manager):
        fetch(ctx, data["case"], lambda: manager.request(
            "POST", url, body=body, headers=api.headers({"Content-Type": "application/x-www-form-urlencoded"}),
            timeout=api.timeout(connect=10, read=10)))


def retry_redirect_0(ctx, data):
    api = ctx.api
    # The three PoolManager-level forms the advisory lists; each manager has its own landing path on B, so
    # the judge can tell which of them followed the redirect.
    forms = [
        ("redirect-0", "Retry(redirect=0)", lambda: api.retry(redirect=0)),
        ("retries-0", "0", lambda: 0),
        ("retries-false", "False", lambda: False),
    ]
    for name, shown, make in forms:
        manager = api.pool_manager(retries=make())
        url = "%s/redirect?status=302&to=/landing/%s" % (data["a"], name)
        with ctx.closing(manager):
            step = fetch(ctx, name, lambda: manager.request("GET", url, timeout=api.timeout(connect=10, read=10)))
        step["retries"] = shown


def scenario(ctx):
    data = ctx.input
    case = data["case"]
    if case == "cookie":
        header_leak(ctx, data, "Cookie", data["cookie"])
    elif case == "proxy-authorization":
        header_leak(ctx, data, "Proxy-Authorization", data["proxyAuthorization"])
    elif case == "body-after-303":
        body_after_303(ctx, data)
    elif case == "retry-redirect-0":
        retry_redirect_0(ctx, data)
    else:
        raise RuntimeError("unknown case %r: this program has no code for it" % case)  # an error, never not-applicable


ru.main(scenario)
