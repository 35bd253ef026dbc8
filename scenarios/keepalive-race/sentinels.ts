// The keep-alive race broken on purpose in today's releases: each family made to replay a request the
// server already read (a POST's duplicate side effect), or to send on a connection it could know was closed.
import { defineSentinels, type Edit } from '../../harness/sentinels/definition.ts';

/** httpx / httpx2: the transport sends a request again on any failure, whatever its method. */
const replayAnything = (client: string): Edit => ({
  file: `${client}/_transports/default.py`,
  find: '        with map_httpcore_exceptions():\n            resp = await self._pool.handle_async_request(req)\n',
  replace:
    '        with map_httpcore_exceptions():\n' +
    '            try:\n' +
    '                resp = await self._pool.handle_async_request(req)\n' +
    '            except Exception:  # sentinel replay-on-disconnect\n' +
    '                resp = await self._pool.handle_async_request(req)\n',
});

/** httpcore / httpcore2: an idle connection whose socket is readable (the server's FIN) is reused all the same. */
const IDLE_CLOSE_IGNORED: Record<string, Edit> = {
  httpcore: {
    file: 'httpcore/_async/http11.py',
    find: '        return keepalive_expired or server_disconnected\n',
    replace: '        return keepalive_expired  # sentinel idle-close-ignored\n',
  },
  httpcore2: {
    file: 'httpcore2/_async/http11.py',
    find: '            if self._state == HTTPConnectionState.IDLE and self._network_stream.get_extra_info("is_readable"):\n',
    replace: '            if False:  # sentinel idle-close-ignored\n',
  },
};

/** aiohttp: which requests ClientSession._request sends again after a reused connection fails under them. */
const aiohttpRetry = (id: string, replace: string): Edit => ({
  file: 'aiohttp/client.py',
  find: '                    self._retry_connection and method in IDEMPOTENT_METHODS\n',
  replace: `                    ${replace}  # sentinel ${id}\n`,
});

/** undici's request(): sent again once when its connection fails under it, whatever its method (the default dispatcher retries nothing). */
const UNDICI_REPLAY: Edit = {
  file: 'lib/api/api-request.js',
  find: '      request.call(this, opts, (err, data) => {\n        return err ? reject(err) : resolve(data)\n',
  replace:
    '      request.call(this, opts, (err, data) => {\n' +
    "        if (err && (err.code === 'UND_ERR_SOCKET' || err.code === 'ECONNRESET')) { // sentinel undici-replay-on-disconnect\n" +
    '          return request.call(this, opts, (again, retried) => (again ? reject(again) : resolve(retried)))\n' +
    '        }\n' +
    '        return err ? reject(err) : resolve(data)\n',
};

export default defineSentinels([
  {
    id: 'aiohttp-no-retry',
    summary: 'aiohttp retries nothing after a reused connection fails: the GET raises ServerDisconnectedError, as 3.9.5 did (#7297)',
    expect: ['get-close-after-first', 'get-reset-after-first'],
    variants: [{ line: 'aiohttp', package: 'aiohttp', edits: [aiohttpRetry('aiohttp-no-retry', 'False')] }],
  },
  {
    id: 'aiohttp-retry-any-method',
    summary: 'aiohttp retries every method after a reused connection fails: the POST is replayed',
    expect: ['post-close-after-first', 'post-reset-after-first'],
    variants: [{ line: 'aiohttp', package: 'aiohttp', edits: [aiohttpRetry('aiohttp-retry-any-method', 'self._retry_connection')] }],
  },
  {
    id: 'idle-close-ignored',
    summary: "httpcore no longer checks an idle connection for the server's close: the next request goes out on the closed connection",
    expect: ['get-idle-close', 'post-idle-close'],
    variants: [
      { line: 'httpx', package: 'httpcore', edits: [IDLE_CLOSE_IGNORED.httpcore!] },
      { line: 'httpx2', package: 'httpcore2', edits: [IDLE_CLOSE_IGNORED.httpcore2!] },
    ],
  },
  {
    id: 'replay-on-disconnect',
    summary: 'httpx retries any request once when the connection fails under it: the GET is retried (undocumented) and the POST replayed',
    expect: ['get-close-after-first', 'post-close-after-first', 'get-reset-after-first', 'post-reset-after-first'],
    variants: [
      { line: 'httpx', package: 'httpx', edits: [replayAnything('httpx')] },
      { line: 'httpx2', package: 'httpx2', edits: [replayAnything('httpx2')] },
    ],
  },
  {
    id: 'undici-replay-on-disconnect',
    summary: "undici's request() sends a request again when its connection fails under it: the GET is retried (undocumented) and the POST replayed",
    expect: ['get-close-after-first', 'post-close-after-first', 'get-reset-after-first', 'post-reset-after-first'],
    variants: [{ line: 'undici', package: 'undici', edits: [UNDICI_REPLAY] }],
  },
  {
    id: 'retry-post-by-default',
    summary: "urllib3's default Retry counts POST among the idempotent methods: the POST is replayed after the server read it",
    expect: ['post-close-after-first', 'post-reset-after-first'],
    variants: [
      {
        line: 'urllib3',
        package: 'urllib3',
        edits: [
          {
            file: 'urllib3/util/retry.py',
            find: '        ["HEAD", "GET", "PUT", "DELETE", "OPTIONS", "TRACE"]\n',
            replace: '        ["HEAD", "GET", "PUT", "DELETE", "OPTIONS", "TRACE", "POST"]  # sentinel retry-post-by-default\n',
          },
        ],
      },
    ],
  },
  {
    id: 'requests-retries-reads',
    summary: "requests' default adapter retries reads of any method (Retry(1, allowed_methods=None)): the GET is retried and the POST replayed",
    expect: ['get-close-after-first', 'post-close-after-first', 'get-reset-after-first', 'post-reset-after-first'],
    variants: [
      {
        line: 'requests',
        package: 'requests',
        edits: [
          {
            file: 'requests/adapters.py',
            find: '            self.max_retries = Retry(0, read=False)\n',
            replace: '            self.max_retries = Retry(1, allowed_methods=None)  # sentinel requests-retries-reads\n',
          },
        ],
      },
    ],
  },
  {
    id: 'dropped-connection-reused',
    summary: "urllib3 no longer checks a pooled connection for the server's close before reusing it: both requests after the idle close go out on the closed connection",
    expect: ['get-idle-close', 'post-idle-close'],
    variants: (['requests', 'urllib3'] as const).map((line) => ({
      line,
      package: 'urllib3',
      edits: [
        {
          file: 'urllib3/connectionpool.py',
          find: '        if conn and is_connection_dropped(conn):\n',
          replace: '        if conn and is_connection_dropped(conn) and False:  # sentinel dropped-connection-reused\n',
        },
      ],
    })),
  },
]);
