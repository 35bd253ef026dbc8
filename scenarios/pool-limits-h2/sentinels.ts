// The server's SETTINGS_MAX_CONCURRENT_STREAMS ignored in today's code: the connection sizes its stream
// permits from its own local limit (100), so more streams go out than the server allows.
import { defineSentinels, type Edit } from '../../harness/sentinels/definition.ts';

const serverLimitIgnored = (core: string): Edit => ({
  file: `${core}/_async/http2.py`,
  find: '                max_concurrent_streams.new_value,\n',
  replace: '                self._h2_state.local_settings.max_concurrent_streams,  # sentinel server-stream-limit-ignored\n',
});

/**
 * An HTTP/2 pool that does not share connections: a connection still connecting takes no other request,
 * and an HTTP/2 connection with a stream in flight counts as unavailable, so each request waits for a
 * connection of its own (max_connections of them) while the server would take more streams on each.
 */
const connectionPerRequest: Record<string, Edit[]> = {
  httpcore: [
    {
      file: 'httpcore/_async/connection.py',
      find: '                self._http2\n                and (self._origin.scheme == b"https" or not self._http1)\n',
      replace: '                False  # sentinel h2-connection-per-request\n                and (self._origin.scheme == b"https" or not self._http1)\n',
    },
    {
      file: 'httpcore/_async/http2.py',
      find: '            and not self._used_all_stream_ids\n',
      replace: '            and not self._used_all_stream_ids\n            and not self._events  # sentinel h2-connection-per-request\n',
    },
  ],
  httpcore2: [
    {
      file: 'httpcore2/_async/connection.py',
      find: '            return self._http2 and (self._origin.scheme == b"https" or not self._http1) and not self._connect_failed\n',
      replace: '            return False  # sentinel h2-connection-per-request\n',
    },
    {
      file: 'httpcore2/_async/http2.py',
      find: '            and not self._used_all_stream_ids\n',
      replace: '            and not self._used_all_stream_ids\n            and not self._events  # sentinel h2-connection-per-request\n',
    },
  ],
};

export default defineSentinels([
  {
    id: 'server-stream-limit-ignored',
    summary: "the server's max_concurrent_streams is ignored: the client opens streams up to its own local limit",
    expect: ['h2-limits'],
    variants: [
      { line: 'httpx', package: 'httpcore', edits: [serverLimitIgnored('httpcore')] },
      { line: 'httpx2', package: 'httpcore2', edits: [serverLimitIgnored('httpcore2')] },
    ],
  },
  {
    id: 'h2-connection-per-request',
    summary: 'the HTTP/2 pool opens a connection per request instead of sharing one, and times requests out while the server has stream capacity',
    expect: ['h2-limits'],
    variants: [
      { line: 'httpx', package: 'httpcore', edits: connectionPerRequest.httpcore! },
      { line: 'httpx2', package: 'httpcore2', edits: connectionPerRequest.httpcore2! },
    ],
  },
]);
