"""CVE-2023-32681 (GHSA-j8r2-6x86-q33q): the proxy's credentials must not reach an HTTPS origin after a redirect.

``proxies={"https": "http://user:pass@127.0.0.1:P"}``: requests sends the credentials to the proxy with each
CONNECT (urllib3's proxy headers), and what crosses the tunnel is the client's TLS to the origin. Origin A
answers ``302`` to origin B (another port, HTTPS too). On the redirect, requests re-evaluates the proxies
(``rebuild_proxies``); releases before 2.31.0 also put ``Proxy-Authorization`` into the redirected request's own
headers, which then travel inside the tunnel to B. B records every header it receives; the proxy records
every CONNECT with its credentials. The run's CA is given as ``verify=<path>`` (not the subject here).
"""
import regress_requests as rr


def scenario(ctx):
    data = ctx.input
    proxies = {"https": data["proxyUrl"]}
    session = ctx.api.session()
    with ctx.closing(session):
        step = ctx.attempt(
            "redirected",
            lambda: remember(ctx, session.get(data["startUrl"], proxies=proxies, verify=data["caFile"], timeout=(5, 5))),
        )
    return step


def remember(ctx, response):
    """The response, after noting the redirect chain the client followed."""
    ctx.fact("history", [r.status_code for r in response.history])
    ctx.fact("final_url", response.url)
    return response


rr.main(scenario)
