// Open upstream on the httpx line (httpcore 1.0.9 still leaks), so the sentinel exists only where the
// failure is fixed: httpcore2 since pydantic/httpx2#983 drops a never-connected connection whose request
// was cancelled. The edit removes that reclaim, which puts encode/httpcore#1093 back into httpcore2.
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
]);
