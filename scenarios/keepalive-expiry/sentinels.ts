// httpx #1395 put back: the configured keepalive_expiry is ignored and 5 s is hard-coded, as before 0.17.
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

export default defineSentinels([
  {
    id: 'keepalive-hardcoded',
    summary: 'Limits(keepalive_expiry=) is ignored: the async pool always expires idle connections after 5 s',
    expect: ['idle-gap'],
    variants: [
      { line: 'httpx', package: 'httpx', edits: [hardcoded('httpx', 'httpcore')] },
      { line: 'httpx2', package: 'httpx2', edits: [hardcoded('httpx2', 'httpcore2')] },
    ],
  },
]);
