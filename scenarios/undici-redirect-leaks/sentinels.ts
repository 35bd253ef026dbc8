// The three redirect leaks put back into the newest undici (8.14.1), each with the smallest edit that undoes
// its fix: fetch's cross-origin header deletion without Cookie, without Proxy-Authorization, and the
// RedirectHandler (request() and interceptors.redirect) keeping Proxy-Authorization across origins.
import { defineSentinels } from '../../harness/sentinels/definition.ts';

const FETCH = 'lib/web/fetch/index.js';

export default defineSentinels([
  {
    id: 'fetch-cookie-kept',
    summary: "fetch's cross-origin redirect step deletes Authorization and Proxy-Authorization but not Cookie (as before 5.26.2)",
    expect: ['cookie'],
    variants: [
      {
        line: 'undici',
        package: 'undici',
        edits: [{ file: FETCH, find: "    request.headersList.delete('cookie', true)\n", replace: '    // sentinel: Cookie kept across origins\n' }],
      },
    ],
  },
  {
    id: 'fetch-proxy-authorization-kept',
    summary: "fetch's cross-origin redirect step keeps Proxy-Authorization (as before 5.28.3 / 6.6.1)",
    expect: ['proxy-authorization'],
    variants: [
      {
        line: 'undici',
        package: 'undici',
        edits: [{ file: FETCH, find: "    request.headersList.delete('proxy-authorization', true)\n", replace: '    // sentinel: Proxy-Authorization kept across origins\n' }],
      },
    ],
  },
  {
    id: 'redirect-handler-proxy-authorization-kept',
    summary: "RedirectHandler's cross-origin strip list is Authorization and Cookie only (as before 5.28.4 / 6.11.1): request() and interceptors.redirect carry Proxy-Authorization to B",
    expect: ['request-proxy-authorization'],
    variants: [
      {
        line: 'undici',
        package: 'undici',
        edits: [
          {
            file: 'lib/handler/redirect-handler.js',
            find: "    return name === 'authorization' || name === 'cookie' || name === 'proxy-authorization'\n",
            replace: "    return name === 'authorization' || name === 'cookie' // sentinel\n",
          },
        ],
      },
    ],
  },
]);
