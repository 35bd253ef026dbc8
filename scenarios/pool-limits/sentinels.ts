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

export default defineSentinels([
  {
    id: 'no-max-connections',
    summary: 'max_connections is ignored: httpx passes max_connections=None to the async pool',
    expect: ['limits', 'slow-server-pool-timeout/gather'],
    variants: [
      { line: 'httpx', package: 'httpx', edits: [noMaxConnections('httpx', 'httpcore')] },
      { line: 'httpx2', package: 'httpx2', edits: [noMaxConnections('httpx2', 'httpcore2')] },
    ],
  },
  {
    id: 'pool-timeout-ignored',
    summary: 'the pool timeout is not applied: waiters wait until a connection frees instead of raising PoolTimeout',
    expect: ['limits'],
    variants: [
      { line: 'httpx', package: 'httpcore', edits: [poolTimeoutIgnored('httpcore')] },
      { line: 'httpx2', package: 'httpcore2', edits: [poolTimeoutIgnored('httpcore2')] },
    ],
  },
]);
