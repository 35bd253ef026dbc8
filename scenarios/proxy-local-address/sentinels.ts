// local_address dropped for proxy connections again, in the releases that pass it: httpx2 2.17.0 at either of
// the two layers pydantic/httpx2#1172 mended (the transport handing it to the proxy pool, the proxy pool handing
// it to its forward and tunnel connections), and urllib3's ProxyManager, which requests drives too. httpx
// itself gets none: its newest release already fails (open upstream), so there is nothing to break.
import { defineSentinels, type Edit } from '../../harness/sentinels/definition.ts';

/** httpx2's async transport builds its proxy pool without local_address (as 2.16.2 did). */
const TRANSPORT_PROXY_POOL =
  '            self._pool = httpcore2.AsyncHTTPProxy(\n' +
  '                proxy_url=httpcore2.URL(\n' +
  '                    scheme=proxy.url.raw_scheme,\n' +
  '                    host=proxy.url.raw_host,\n' +
  '                    port=proxy.url.port,\n' +
  '                    target=proxy.url.raw_path,\n' +
  '                ),\n' +
  '                proxy_auth=proxy.raw_auth,\n' +
  '                proxy_headers=proxy.headers.raw,\n' +
  '                proxy_ssl_context=proxy.ssl_context,\n' +
  '                ssl_context=ssl_context,\n' +
  '                max_connections=limits.max_connections,\n' +
  '                max_keepalive_connections=limits.max_keepalive_connections,\n' +
  '                keepalive_expiry=limits.keepalive_expiry,\n' +
  '                http1=http1,\n' +
  '                http2=http2,\n' +
  '                uds=uds,\n' +
  '                local_address=local_address,\n';

const transportDropsIt: Edit = {
  file: 'httpx2/_transports/default.py',
  find: TRANSPORT_PROXY_POOL,
  replace: TRANSPORT_PROXY_POOL.replace('                local_address=local_address,\n', '                # sentinel transport-drops-local-address\n'),
};

/** httpcore2's proxy pool opens its forward (http://) and tunnel (https://) connections without it. */
const proxyPoolDropsIt: Edit[] = [
  {
    file: 'httpcore2/_async/http_proxy.py',
    find: '                retries=self._retries,\n                local_address=self._local_address,\n',
    replace: '                retries=self._retries,\n                # sentinel proxy-pool-drops-local-address (forward)\n',
  },
  {
    file: 'httpcore2/_async/http_proxy.py',
    find: '\n            retries=self._retries,\n            local_address=self._local_address,\n',
    replace: '\n            retries=self._retries,\n            # sentinel proxy-pool-drops-local-address (tunnel)\n',
  },
];

/** urllib3's ProxyManager forgets source_address for the pools it opens to the proxy. */
const proxyManagerDropsIt: Edit = {
  file: 'urllib3/poolmanager.py',
  find: '        connection_pool_kw["_proxy"] = self.proxy\n',
  replace: '        connection_pool_kw.pop("source_address", None)  # sentinel proxy-manager-drops-source-address\n        connection_pool_kw["_proxy"] = self.proxy\n',
};

export default defineSentinels([
  {
    id: 'transport-drops-local-address',
    summary: "httpx2's AsyncHTTPTransport builds its proxy pool without local_address (httpx2 2.16.2 and httpx today)",
    expect: ['via-proxy'],
    variants: [{ line: 'httpx2', package: 'httpx2', edits: [transportDropsIt] }],
  },
  {
    id: 'proxy-pool-drops-local-address',
    summary: "httpcore2's AsyncHTTPProxy opens its forward and tunnel connections without local_address (httpcore 1.0.9 today)",
    expect: ['via-proxy'],
    variants: [{ line: 'httpx2', package: 'httpcore2', edits: proxyPoolDropsIt }],
  },
  {
    id: 'proxy-manager-drops-source-address',
    summary: "urllib3's ProxyManager drops source_address from the pools it opens to the proxy",
    expect: ['via-proxy'],
    variants: (['requests', 'urllib3'] as const).map((line) => ({ line, package: 'urllib3', edits: [proxyManagerDropsIt] })),
  },
]);
