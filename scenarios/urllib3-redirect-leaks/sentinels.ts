// The four redirect leaks put back into the newest urllib3, each with the smallest edit that undoes its
// fix: a header dropped from Retry's default strip list, the cross-host strip skipped altogether, the 303
// body kept, and the PoolManager's own retries ignored when it follows a redirect.
import { defineSentinels, type Edit } from '../../harness/sentinels/definition.ts';

const STRIP_LIST = '["Cookie", "Authorization", "Proxy-Authorization"]';

/** Retry.DEFAULT_REMOVE_HEADERS_ON_REDIRECT without one header: the state before its advisory's fix. */
const stripListWithout = (header: string): Edit => ({
  file: 'urllib3/util/retry.py',
  find: STRIP_LIST,
  replace: `${JSON.stringify(['Cookie', 'Authorization', 'Proxy-Authorization'].filter((h) => h !== header)).replace(/,/g, ', ')}  # sentinel`,
});

export default defineSentinels([
  {
    id: 'cookie-not-stripped',
    summary: "Cookie left out of Retry's default remove_headers_on_redirect (as before 2.0.6 / 1.26.17)",
    expect: ['cookie'],
    variants: [{ line: 'urllib3', package: 'urllib3', edits: [stripListWithout('Cookie')] }],
  },
  {
    id: 'proxy-authorization-not-stripped',
    summary: "Proxy-Authorization left out of Retry's default remove_headers_on_redirect (as before 2.2.2 / 1.26.19)",
    expect: ['proxy-authorization'],
    variants: [{ line: 'urllib3', package: 'urllib3', edits: [stripListWithout('Proxy-Authorization')] }],
  },
  {
    id: 'cross-host-strip-skipped',
    summary: 'PoolManager.urlopen never strips remove_headers_on_redirect on a redirect to another host',
    expect: ['cookie', 'proxy-authorization'],
    variants: [
      {
        line: 'urllib3',
        package: 'urllib3',
        edits: [
          {
            file: 'urllib3/poolmanager.py',
            find: '        if retries.remove_headers_on_redirect and not conn.is_same_host(\n',
            replace: '        if False and retries.remove_headers_on_redirect and not conn.is_same_host(  # sentinel\n',
          },
        ],
      },
    ],
  },
  {
    id: 'body-kept-after-303',
    summary: 'a 303 turns the POST into a GET but keeps its body (as before 2.0.7 / 1.26.18)',
    expect: ['body-after-303'],
    variants: [
      {
        line: 'urllib3',
        package: 'urllib3',
        edits: [{ file: 'urllib3/poolmanager.py', find: '            kw["body"] = None\n', replace: '            pass  # sentinel: the body is kept\n' }],
      },
    ],
  },
  {
    id: 'pool-retries-ignored',
    summary: "a redirect's Retry comes from the request alone, not the PoolManager's retries (as before 2.5.0)",
    expect: ['retry-redirect-0'],
    variants: [
      {
        line: 'urllib3',
        package: 'urllib3',
        edits: [
          {
            file: 'urllib3/poolmanager.py',
            find: '        retries = kw.get("retries", response.retries)\n',
            replace: '        retries = kw.get("retries")  # sentinel\n',
          },
        ],
      },
    ],
  },
]);
