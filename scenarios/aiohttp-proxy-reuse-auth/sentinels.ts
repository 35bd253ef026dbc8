// #2596's fix taken back out of the newest wheel (3.14.5): BaseConnector.connect (aiohttp/connector.py, pure
// Python whatever the C extensions) again returns a connection taken straight from the pool without
// applying the request's proxy headers, as every release up to 3.13.2 did (#11777 added the call in 3.13.3).
import { defineSentinels, type Edit } from '../../harness/sentinels/definition.ts';

const reuseWithoutProxyHeaders: Edit = {
  file: 'aiohttp/connector.py',
  find:
    '            # we can avoid the timeout ceil logic and directly return the connection\n' +
    '            if req.proxy:\n' +
    '                self._update_proxy_auth_header_and_build_proxy_req(req)\n' +
    '            return conn\n',
  replace:
    '            # we can avoid the timeout ceil logic and directly return the connection\n' +
    '            # sentinel reuse-without-proxy-headers: no Proxy-Authorization on a pooled proxy connection (aiohttp 3.13.2)\n' +
    '            return conn\n',
};

export default defineSentinels([
  {
    id: 'reuse-without-proxy-headers',
    summary: "a request that reuses a pooled plain-HTTP proxy connection goes without the proxy's credentials (aiohttp 3.13.2, #2596)",
    expect: ['reused-proxy-connection'],
    variants: [{ line: 'aiohttp', package: 'aiohttp', edits: [reuseWithoutProxyHeaders] }],
  },
]);
