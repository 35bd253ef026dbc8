// max_connections and the pool timeout, each switched off in today's code.
import { defineSentinels, type Edit } from '../../harness/sentinels/definition.ts';

/** The async transport hands the pool no connection limit (the sync transport is left alone). */
const noMaxConnections = (client: string, core: string): Edit => ({
  file: `${client}/_transports/default.py`,
  find:
    `            self._pool = ${core}.AsyncConnectionPool(\n` +
    '                ssl_context=ssl_context,\n' +
    '                max_connections=limits.max_connections,\n',
  replace:
    `            self._pool = ${core}.AsyncConnectionPool(\n` +
    '                ssl_context=ssl_context,\n' +
    '                max_connections=None,  # sentinel no-max-connections\n',
});

/** The pool waits for a connection however long it takes. */
const poolTimeoutIgnored = (core: string): Edit => ({
  file: `${core}/_async/connection_pool.py`,
  find: '        timeout = timeouts.get("pool", None)\n',
  replace: '        timeout = None  # sentinel pool-timeout-ignored: the pool timeout is not applied\n',
});

/** urllib3's pool (requests' too) ignores block=True: a request that finds no idle connection opens one more. */
const URLLIB3_BLOCK_IGNORED: Edit = {
  file: 'urllib3/connectionpool.py',
  find: '        self.block = block\n',
  replace: '        self.block = False  # sentinel no-max-connections: block=True ignored, maxsize no limit\n',
};

/** aiohttp's TCPConnector ignores limit= (0 is aiohttp's "no limit"): every request opens a connection at once. */
const AIOHTTP_LIMIT_IGNORED: Edit = {
  file: 'aiohttp/connector.py',
  find: '        self._limit = limit\n',
  replace: '        self._limit = 0  # sentinel no-max-connections: limit= ignored\n',
};

// Node lines. axios's Node adapter exists twice: lib/ (what `import axios from 'axios'` loads) and dist/node/axios.cjs (require()).
const AXIOS_ADAPTERS = ['lib/adapters/http.js', 'dist/node/axios.cjs'];
const GOT_HTTP_AGENT_DROPPED: Edit = { file: 'dist/source/core/options.js', find: '            agent = internals.agent.http;\n', replace: '            agent = undefined; // sentinel node-agent-dropped\n' };
/** undici's Pool (an Agent's per origin) ignores `connections`: every queued request gets a connection of its own. */
const UNDICI_CONNECTIONS_IGNORED: Edit = {
  file: 'lib/dispatcher/pool.js',
  find: '    this[kConnections] = connections || null\n',
  replace: '    this[kConnections] = null // sentinel no-max-connections: connections ignored\n',
};

export default defineSentinels([
  {
    id: 'no-max-connections',
    summary: 'max_connections is ignored: httpx passes max_connections=None to the async pool',
    expect: ['limits', 'slow-server-pool-timeout/gather'],
    variants: [
      { line: 'httpx', package: 'httpx', edits: [noMaxConnections('httpx', 'httpcore')] },
      { line: 'httpx2', package: 'httpx2', edits: [noMaxConnections('httpx2', 'httpcore2')] },
      // The other scenario has no requests or urllib3 program: only this one's case.
      { line: 'requests', package: 'urllib3', edits: [URLLIB3_BLOCK_IGNORED], expect: ['limits'] },
      { line: 'urllib3', package: 'urllib3', edits: [URLLIB3_BLOCK_IGNORED], expect: ['limits'] },
      { line: 'aiohttp', package: 'aiohttp', edits: [AIOHTTP_LIMIT_IGNORED], expect: ['limits'] },
      { line: 'undici', package: 'undici', edits: [UNDICI_CONNECTIONS_IGNORED], expect: ['limits'] },
    ],
  },
  {
    id: 'pool-timeout-ignored',
    summary: 'the pool timeout is not applied: waiters wait until a connection frees instead of raising PoolTimeout',
    expect: ['limits'],
    variants: [
      { line: 'httpx', package: 'httpcore', edits: [poolTimeoutIgnored('httpcore')] },
      { line: 'httpx2', package: 'httpcore2', edits: [poolTimeoutIgnored('httpcore2')] },
      // urlopen(pool_timeout=) not applied (requests never sets one: no variant for it).
      {
        line: 'urllib3',
        package: 'urllib3',
        edits: [
          {
            file: 'urllib3/connectionpool.py',
            find: '            conn = self.pool.get(block=self.block, timeout=timeout)\n',
            replace: '            conn = self.pool.get(block=self.block, timeout=None)  # sentinel pool-timeout-ignored\n',
          },
        ],
      },
    ],
  },
  // Node lines: the client drops the http.Agent it was given, so Node's global agent (no maxSockets) serves.
  {
    id: 'node-agent-dropped',
    summary: 'axios / got ignore the http.Agent given (maxSockets): every request opens its own connection on http.globalAgent',
    expect: ['limits'],
    variants: [
      { line: 'axios', package: 'axios', edits: AXIOS_ADAPTERS.map((file) => ({ file, find: "const httpAgent = own('httpAgent');", replace: 'const httpAgent = undefined; // sentinel node-agent-dropped' })) },
      { line: 'got', package: 'got', edits: [GOT_HTTP_AGENT_DROPPED] },
    ],
  },
]);
