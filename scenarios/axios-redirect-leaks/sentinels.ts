// The two advisories put back into the newest line. axios and follow-redirects each drop the headers across
// hosts (axios itself from 1.16.0 for Proxy-Authorization, from 1.21.0 for Cookie): a patch in one layer is
// hidden by the other. So the default sentinel breaks axios's layer AND makes it hand the dropped headers
// back, which puts the leak back through the newest follow-redirects too; the follow-redirects sentinels
// (the advisories' own code) are caught only beside an axios without its own drops, and are exported apart.
import { defineSentinels, type Edit } from '../../harness/sentinels/definition.ts';

const ADAPTERS = ['lib/adapters/http.js', 'dist/node/axios.cjs'];

/** The same exact-text edit in both copies of axios's Node adapter (ES module and CommonJS). */
const inBothAdapters = (find: string, replace: string): Edit[] => ADAPTERS.map((file) => ({ file, find, replace }));

export default defineSentinels([
  {
    id: 'axios-restores-dropped-headers',
    summary: 'axios\'s redirect hook copies the previous hop\'s Cookie and Proxy-Authorization back onto a cross-origin redirect, after follow-redirects dropped them',
    expect: ['cookie', 'proxy-authorization'],
    variants: [
      {
        line: 'axios',
        package: 'axios',
        edits: [
          ...inBothAdapters(
            "    stripMatchingHeaders(options.headers, new Set(['authorization', 'cookie']));\n",
            "    for (const [name, value] of Object.entries(requestDetails.headers)) if (/^(?:cookie|proxy-authorization)$/i.test(name)) options.headers[name] = value; // sentinel axios-restores-dropped-headers\n",
          ),
          // setProxy would drop Proxy-Authorization again on the redirect (axios >= 1.16.0).
          ...inBothAdapters('  if (isRedirect && options.headers) {\n', '  if (false && isRedirect && options.headers) { // sentinel axios-restores-dropped-headers\n'),
        ],
      },
    ],
  },
]);

/**
 * follow-redirects 1.16.3 with each advisory put back. Hidden beside axios >= 1.21.0 (and >= 1.16.0 for
 * Proxy-Authorization); caught beside axios 1.15.2, which a sentinel variant cannot pin yet:
 * `npx regress sentinels -s axios-redirect-leaks --release axios@1.15.2` with these as the default export
 * gives 4/4 caught, the unpatched rebuild fixed.
 */
export const besideAxiosWithoutOwnDrops = defineSentinels([
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
