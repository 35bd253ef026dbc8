// httpx #1395 put back: the configured keepalive_expiry is ignored and 5 s is hard-coded, as before 0.17. And
// the rest of the keep-alive contract broken in today's cores: an expiry never applied, a keep-alive limit
// off by one.
import { defineSentinels, type Edit } from '../../harness/sentinels/definition.ts';

const hardcoded = (client: string, core: string): Edit => ({
  file: `${client}/_transports/default.py`,
  find:
    `            self._pool = ${core}.AsyncConnectionPool(\n` +
    '                ssl_context=ssl_context,\n' +
    '                max_connections=limits.max_connections,\n' +
    '                max_keepalive_connections=limits.max_keepalive_connections,\n' +
    '                keepalive_expiry=limits.keepalive_expiry,\n',
  replace:
    `            self._pool = ${core}.AsyncConnectionPool(\n` +
    '                ssl_context=ssl_context,\n' +
    '                max_connections=limits.max_connections,\n' +
    '                max_keepalive_connections=limits.max_keepalive_connections,\n' +
    '                keepalive_expiry=5.0,  # sentinel keepalive-hardcoded\n',
});

/** The HTTP/1.1 connection never gets an expiry time, so it never expires. */
const expiryNeverApplied = (core: string): Edit => ({
  file: `${core}/_async/http11.py`,
  find: '                    self._expire_at = now + self._keepalive_expiry\n',
  replace: '                    self._expire_at = None  # sentinel expiry-never-applied\n',
});

/** The surplus of idle connections counted one short, so one more than max_keepalive_connections stays. */
const keepaliveOffByOne: Record<string, Edit> = {
  httpcore: {
    file: 'httpcore/_async/connection_pool.py',
    find: '                > self._max_keepalive_connections\n',
    replace: '                > self._max_keepalive_connections + 1  # sentinel keepalive-off-by-one\n',
  },
  httpcore2: {
    file: 'httpcore2/_async/connection_pool.py',
    find: '            - self._max_keepalive_connections\n',
    replace: '            - self._max_keepalive_connections\n            - 1  # sentinel keepalive-off-by-one\n',
  },
};

/** urllib3's pools (requests' too) keep one idle connection more than maxsize / pool_maxsize. */
const URLLIB3_KEEPS_ONE_MORE: Edit = {
  file: 'urllib3/connectionpool.py',
  find: '        self.pool: queue.LifoQueue[typing.Any] | None = self._new_pool_queue(maxsize)\n',
  replace: '        self.pool: queue.LifoQueue[typing.Any] | None = self._new_pool_queue(maxsize + 1)  # sentinel keepalive-off-by-one\n',
};

/** aiohttp's TCPConnector(keepalive_timeout=) replaced by a fixed value (None: no expiry, no cleanup timer). */
const aiohttpKeepalive = (value: string, note: string): Edit => ({
  file: 'aiohttp/connector.py',
  find: '        self._keepalive_timeout = keepalive_timeout\n',
  replace: `        self._keepalive_timeout = ${value}  # sentinel ${note}\n`,
});

// Node lines. axios's Node adapter exists twice: lib/ (what `import axios from 'axios'` loads) and dist/node/axios.cjs (require()).
const AXIOS_ADAPTERS = ['lib/adapters/http.js', 'dist/node/axios.cjs'];
const GOT_HTTP_AGENT_DROPPED: Edit = { file: 'dist/source/core/options.js', find: '            agent = internals.agent.http;\n', replace: '            agent = undefined; // sentinel node-agent-dropped\n' };
// undici (lib/dispatcher/client.js): the idle expiry is keepAliveTimeout, or the server's Keep-Alive hint bounded by
// keepAliveMaxTimeout. Hard-coded 4 s for both (the configured values ignored); keepAliveMaxTimeout ignored alone
// (600 s), so the server's 60 s hint wins over a configured 1 s.
const UNDICI_KEEPALIVE = '    this[kKeepAliveDefaultTimeout] = keepAliveTimeout == null ? 4e3 : keepAliveTimeout\n' +
  '    this[kKeepAliveMaxTimeout] = keepAliveMaxTimeout == null ? 600e3 : keepAliveMaxTimeout\n';
const undiciKeepalive = (timeout: string, max: string, note: string) => ({
  line: 'undici' as const,
  package: 'undici',
  edits: [{
    file: 'lib/dispatcher/client.js',
    find: UNDICI_KEEPALIVE,
    replace: `    this[kKeepAliveDefaultTimeout] = ${timeout} // sentinel ${note}\n    this[kKeepAliveMaxTimeout] = ${max}\n`,
  }],
});

export default defineSentinels([
  {
    id: 'keepalive-hardcoded',
    summary: 'Limits(keepalive_expiry=) is ignored: the async pool always expires idle connections after 5 s',
    expect: ['idle-gap'],
    variants: [
      { line: 'httpx', package: 'httpx', edits: [hardcoded('httpx', 'httpcore')] },
      { line: 'httpx2', package: 'httpx2', edits: [hardcoded('httpx2', 'httpcore2')] },
      { line: 'aiohttp', package: 'aiohttp', edits: [aiohttpKeepalive('5.0', 'keepalive-hardcoded: keepalive_timeout= ignored, 5 s')] },
      { ...undiciKeepalive('4e3', '4e3', 'keepalive-hardcoded: keepAliveTimeout and keepAliveMaxTimeout ignored, 4 s'), expect: ['idle-gap', 'short-expiry'] },
    ],
  },
  {
    id: 'expiry-never-applied',
    summary: 'idle HTTP/1.1 connections get no expiry time: Limits(keepalive_expiry=) never closes them',
    expect: ['short-expiry'],
    variants: [
      { line: 'httpx', package: 'httpcore', edits: [expiryNeverApplied('httpcore')] },
      { line: 'httpx2', package: 'httpcore2', edits: [expiryNeverApplied('httpcore2')] },
      { line: 'aiohttp', package: 'aiohttp', edits: [aiohttpKeepalive('None', 'expiry-never-applied: idle connections kept for ever')] },
      undiciKeepalive("keepAliveTimeout == null ? 4e3 : keepAliveTimeout", '600e3', "expiry-never-applied: keepAliveMaxTimeout ignored, the server's hint wins"),
    ],
  },
  {
    id: 'keepalive-off-by-one',
    summary: 'the pool keeps max_keepalive_connections + 1 idle connections',
    expect: ['keepalive-boundary'],
    variants: [
      { line: 'httpx', package: 'httpcore', edits: [keepaliveOffByOne.httpcore!] },
      { line: 'httpx2', package: 'httpcore2', edits: [keepaliveOffByOne.httpcore2!] },
      { line: 'requests', package: 'urllib3', edits: [URLLIB3_KEEPS_ONE_MORE] },
      { line: 'urllib3', package: 'urllib3', edits: [URLLIB3_KEEPS_ONE_MORE] },
    ],
  },
  {
    id: 'idle-connection-discarded',
    summary: 'urllib3 (on its own and under requests) closes a pooled connection when it is taken again, however short the idle time: no keep-alive across the gap',
    expect: ['idle-gap'],
    variants: (['requests', 'urllib3'] as const).map((line) => ({
      line,
      package: 'urllib3',
      edits: [
        {
          file: 'urllib3/connectionpool.py',
          find: '        if conn and is_connection_dropped(conn):\n',
          replace: '        if conn and (is_connection_dropped(conn) or True):  # sentinel idle-connection-discarded\n',
        },
      ],
    })),
  },
  // Node lines: the client drops the http.Agent it was given (timeout, maxFreeSockets): http.globalAgent's keep-alive rules serve.
  {
    id: 'node-agent-dropped',
    summary: "axios / got ignore the http.Agent given: http.globalAgent's idle expiry (5 s) and maxFreeSockets (256) apply",
    expect: ['idle-gap', 'short-expiry', 'keepalive-boundary'],
    variants: [
      { line: 'axios', package: 'axios', edits: AXIOS_ADAPTERS.map((file) => ({ file, find: "const httpAgent = own('httpAgent');", replace: 'const httpAgent = undefined; // sentinel node-agent-dropped' })) },
      { line: 'got', package: 'got', edits: [GOT_HTTP_AGENT_DROPPED] },
    ],
  },
]);
