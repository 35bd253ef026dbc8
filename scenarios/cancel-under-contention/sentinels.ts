// Open upstream on the httpx line (httpcore 1.0.9 still leaks), so the sentinel exists only where the
// failure is fixed: httpcore2 since pydantic/httpx2#983 drops a never-connected connection whose request
// was cancelled. orphans-kept removes that reclaim, which puts encode/httpcore#1093 back into httpcore2;
// late-slots keeps the orphans only until a request has waited past its pool timeout, then serves it:
// every request gets its 200, late, which a judge reading only the client's statuses would call fixed.
import { defineSentinels } from '../../harness/sentinels/definition.ts';

export default defineSentinels([
  {
    id: 'orphans-kept',
    summary: 'httpcore2 no longer reclaims a never-connected connection whose request was cancelled (httpcore #1093)',
    expect: ['churn'],
    variants: [
      {
        line: 'httpx2',
        package: 'httpcore2',
        edits: [
          {
            file: 'httpcore2/_async/connection_pool.py',
            find:
              '            elif not (connection.is_connected() or reserved):\n' +
              '                # Garbage: a NEW-state connection whose request was cancelled\n' +
              '                # before the TCP handshake completed.  Drop it without closing\n' +
              '                # (there is no socket to close yet).\n' +
              '                continue\n',
            replace: '            # sentinel orphans-kept: a never-connected orphan is kept (httpcore #1093)\n',
          },
        ],
      },
    ],
  },
  {
    id: 'late-slots',
    summary:
      'httpcore2 keeps the cancelled orphans until a request has waited four times its pool timeout, then reclaims them and serves that request late instead of raising PoolTimeout',
    expect: ['churn'],
    variants: [
      {
        line: 'httpx2',
        package: 'httpcore2',
        edits: [
          {
            file: 'httpcore2/_async/connection_pool.py',
            find: '            elif not (connection.is_connected() or reserved):\n',
            replace:
              '            # sentinel late-slots: never-connected orphans are reclaimed only after a waiter timed out\n' +
              '            elif not (connection.is_connected() or reserved) and getattr(self, "_sentinel_reclaim", False):\n',
          },
          {
            file: 'httpcore2/_async/connection_pool.py',
            find: '                connection = await pool_request.wait_for_connection(timeout=timeout)\n',
            replace:
              '                # sentinel late-slots: past four times its pool timeout a waiter reclaims the orphans and waits on\n' +
              '                try:\n' +
              '                    connection = await pool_request.wait_for_connection(timeout=None if timeout is None else 4 * timeout)\n' +
              '                except Exception as exc:\n' +
              '                    if type(exc).__name__ != "PoolTimeout":\n' +
              '                        raise\n' +
              '                    self._sentinel_reclaim = True\n' +
              '                    continue\n',
          },
        ],
      },
    ],
  },
]);
