// CVE-2023-32681 put back into the newest requests: rebuild_proxies adds the proxy's credentials to the
// redirected request's own headers for HTTPS too (as 2.30.0 and earlier did), so they cross the tunnel.
import { defineSentinels } from '../../harness/sentinels/definition.ts';

export default defineSentinels([
  {
    id: 'proxy-auth-in-tunnel',
    summary: 'rebuild_proxies re-adds Proxy-Authorization to redirected HTTPS requests, sent inside the CONNECT tunnel (requests < 2.31.0)',
    expect: ['https-redirect-via-proxy'],
    variants: [
      {
        line: 'requests',
        package: 'requests',
        edits: [
          {
            file: 'requests/sessions.py',
            find: '        if not scheme.startswith("https") and username and password:\n',
            replace: '        if username and password:  # sentinel proxy-auth-in-tunnel: HTTPS too (requests < 2.31.0)\n',
          },
        ],
      },
    ],
  },
]);
