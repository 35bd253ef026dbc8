// What each client family documents about a request that fails because the server closed the kept-alive
// connection it went out on, after the server had read it. Upstream's own words, with the links; the judge
// holds each family to exactly this and nothing more. Keyed by the family id of the client under test.

/** `retry`: an idempotent request (GET) is sent again on a new connection; `raise`: the error reaches the caller. */
export type OnDroppedReuse = 'retry' | 'raise';

export interface FamilyPolicy {
  /** What happens to a GET the server read and then closed without an answer. */
  get: OnDroppedReuse;
  /** Upstream's words and where they are. */
  says: string;
  links: string[];
}

const HTTPX: FamilyPolicy = {
  get: 'raise',
  says:
    'httpx retries nothing by default; HTTPTransport(retries=N) retries only failures to connect ' +
    '(httpx.ConnectError, httpx.ConnectTimeout), never a request already sent',
  links: ['https://www.python-httpx.org/advanced/transports/', 'https://github.com/encode/httpx/pull/784'],
};

/** undici's default dispatcher (its `request`, and Node's fetch, which is undici inside Node). */
const UNDICI_NO_RETRY =
  "undici's default dispatcher (Agent → Pool → Client) retries nothing; retrying is opt-in: RetryAgent / " +
  'interceptors.retry (RetryHandler: by default methods GET, HEAD, OPTIONS, PUT, DELETE, TRACE on ECONNRESET, ' +
  'UND_ERR_SOCKET and the like, up to 5 times). A retry of idempotent requests in the default path was proposed ' +
  'for nodejs/undici#3492 (open) and closed unmerged (#5403)';

export const POLICIES: Record<string, FamilyPolicy> = {
  httpx: HTTPX,
  httpx2: HTTPX,
  requests: {
    get: 'raise',
    says:
      'HTTPAdapter max_retries: "Note, this applies only to failed DNS lookups, socket connections and connection ' +
      'timeouts, never to requests where data has made it to the server. By default, Requests does not retry ' +
      'failed connections." (DEFAULT_RETRIES = 0, built as Retry(0, read=False))',
    links: ['https://requests.readthedocs.io/en/latest/api/#requests.adapters.HTTPAdapter'],
  },
  urllib3: {
    get: 'retry',
    says:
      'Retry: read errors "are raised after the request was sent to the server, so the request may have ' +
      'side-effects"; allowed_methods: "By default, we only retry on methods which are considered to be idempotent" ' +
      '(Retry.DEFAULT_ALLOWED_METHODS: DELETE, GET, HEAD, OPTIONS, PUT, TRACE; POST is not among them); ' +
      'a PoolManager retries 3 times by default (Retry.DEFAULT)',
    links: ['https://urllib3.readthedocs.io/en/stable/reference/urllib3.util.html#urllib3.util.Retry'],
  },
  aiohttp: {
    get: 'retry',
    says:
      'from 3.10.0 a request that fails on a reused (persistent) connection with ServerDisconnectedError or ' +
      'ClientOSError is retried once on a new connection if its method is idempotent (IDEMPOTENT_METHODS: GET, ' +
      'HEAD, OPTIONS, TRACE, PUT, DELETE; the code cites RFC 9112 section 9.3.1.1, "Retrying Requests"); a POST ' +
      'is not retried (#7297; the retry and its opt-out are discussed in #10790). 3.9.5 and older raise ServerDisconnectedError',
    links: [
      'https://github.com/aio-libs/aiohttp/issues/7297',
      'https://github.com/aio-libs/aiohttp/issues/10790',
      'https://www.rfc-editor.org/rfc/rfc9112.html#name-retrying-requests',
    ],
  },
  'node-http': {
    get: 'raise',
    says:
      'node:http retries nothing: request.reusedSocket "When sending request through a keep-alive enabled agent, the ' +
      "underlying socket might be reused. But if server closes connection at unfortunate time, client may run into a " +
      "'ECONNRESET' error\" (the docs' example retries in the caller's code). The default http.globalAgent keeps " +
      'connections alive from Node 19 (keepAlive: true); Node 18 closes each after its response (keepAlive: false, ' +
      'Connection: close). The ECONNRESET on a connection the server closed is nodejs/node#47130 (open)',
    links: ['https://nodejs.org/api/http.html#requestreusedsocket', 'https://github.com/nodejs/node/issues/47130'],
  },
  fetch: {
    get: 'raise',
    says: `Node's fetch is undici's fetch on undici's default global dispatcher: ${UNDICI_NO_RETRY}; fetch rejects with TypeError('fetch failed') and the socket error as its cause`,
    links: ['https://github.com/nodejs/undici/issues/3492', 'https://github.com/nodejs/undici/blob/main/docs/docs/api/RetryAgent.md'],
  },
  undici: {
    get: 'raise',
    says: UNDICI_NO_RETRY,
    links: [
      'https://github.com/nodejs/undici/blob/main/docs/docs/api/RetryAgent.md',
      'https://github.com/nodejs/undici/blob/main/docs/docs/api/RetryHandler.md',
      'https://github.com/nodejs/undici/issues/3492',
    ],
  },
};
