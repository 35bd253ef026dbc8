// The two follow-redirects advisories put back into the newest follow-redirects (installed beside the newest
// axios): one header left out of the list dropped across hosts, or the cross-host drop skipped altogether.
import { defineSentinels } from '../../harness/sentinels/definition.ts';

export default defineSentinels([
  {
    id: 'cookie-kept',
    summary: 'Cookie left out of sensitiveHeaders: kept across hosts (follow-redirects < 1.14.7, CVE-2022-0155)',
    expect: ['cookie'],
    variants: [
      {
        line: 'axios',
        package: 'follow-redirects',
        edits: [{ file: 'index.js', find: '  "Proxy-Authorization",\n  "Cookie",\n];', replace: '  "Proxy-Authorization",\n  // sentinel cookie-kept: no "Cookie" (follow-redirects < 1.14.7)\n];' }],
      },
    ],
  },
  {
    id: 'proxy-authorization-kept',
    summary: 'Proxy-Authorization left out of sensitiveHeaders: kept across hosts (follow-redirects < 1.15.6, CVE-2024-28849)',
    expect: ['proxy-authorization'],
    variants: [
      {
        line: 'axios',
        package: 'follow-redirects',
        edits: [{ file: 'index.js', find: '  "Authorization",\n  "Proxy-Authorization",\n', replace: '  "Authorization",\n  // sentinel proxy-authorization-kept: no "Proxy-Authorization" (follow-redirects < 1.15.6)\n' }],
      },
    ],
  },
  {
    id: 'cross-host-strip-skipped',
    summary: 'a redirect to another host drops no header (only a downgrade to http: still does)',
    expect: ['cookie', 'proxy-authorization'],
    variants: [
      {
        line: 'axios',
        package: 'follow-redirects',
        edits: [
          {
            file: 'index.js',
            find: '     redirectUrl.host !== currentHost &&\n     !isSubdomain(redirectUrl.host, currentHost)) {',
            replace: '     false /* sentinel cross-host-strip-skipped */) {',
          },
        ],
      },
    ],
  },
]);
