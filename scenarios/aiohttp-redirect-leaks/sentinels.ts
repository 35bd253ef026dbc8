// aiohttp's cross-origin redirect guard taken back out of the newest wheel (3.14.5), one piece at a time:
// each edit puts one line of ClientSession._request (aiohttp/client.py, pure Python: the redirect loop runs
// there whatever the C extensions) back the way the last broken release had it.
import { defineSentinels, type Edit } from '../../harness/sentinels/definition.ts';

const CLIENT = 'aiohttp/client.py';

// The request's cookies= kept for the next hop, as up to 3.13.5 (#12550).
const keepsRequestCookies: Edit = {
  file: CLIENT,
  find: '                            cookies = None\n                            headers.popall(hdrs.AUTHORIZATION, None)\n',
  replace: '                            pass  # sentinel keeps-request-cookies: cookies= survives the redirect (aiohttp 3.13.5)\n                            headers.popall(hdrs.AUTHORIZATION, None)\n',
};

// One copy of a duplicated header dropped, as up to 3.14.2 (#13180).
const popsOneCookie: Edit = {
  file: CLIENT,
  find: '                            headers.popall(hdrs.COOKIE, None)\n',
  replace: '                            headers.pop(hdrs.COOKIE, None)  # sentinel pops-one-cookie (aiohttp 3.14.2)\n',
};
const popsOneAuthorization: Edit = {
  file: CLIENT,
  find: '                            headers.popall(hdrs.AUTHORIZATION, None)\n',
  replace: '                            headers.pop(hdrs.AUTHORIZATION, None)  # sentinel pops-one-authorization (aiohttp 3.14.2)\n',
};

export default defineSentinels([
  {
    id: 'keeps-request-cookies',
    summary: "the cross-origin redirect keeps the request's cookies=, which are rebuilt into the Cookie sent to B (aiohttp 3.13.5, #12550)",
    expect: ['request-cookies'],
    variants: [{ line: 'aiohttp', package: 'aiohttp', edits: [keepsRequestCookies] }],
  },
  {
    id: 'pops-one-cookie',
    summary: 'the cross-origin redirect removes only the first of two Cookie headers (aiohttp 3.14.2, #13180)',
    expect: ['duplicate-cookie'],
    variants: [{ line: 'aiohttp', package: 'aiohttp', edits: [popsOneCookie] }],
  },
  {
    id: 'pops-one-authorization',
    summary: 'the cross-origin redirect removes only the first of two Authorization headers (aiohttp 3.14.2, #13180)',
    expect: ['duplicate-authorization'],
    variants: [{ line: 'aiohttp', package: 'aiohttp', edits: [popsOneAuthorization] }],
  },
]);
