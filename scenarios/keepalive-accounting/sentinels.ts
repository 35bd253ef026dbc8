// Open upstream on the httpx line (httpcore 1.0.9 compares max_keepalive_connections with every
// connection); httpcore2 counts idle connections only (encode/httpcore PR #1000, inherited in 2.0.0). The
// edit makes httpcore2 count every retained connection again, which puts the failure back.
import { defineSentinels } from '../../harness/sentinels/definition.ts';

export default defineSentinels([
  {
    id: 'counts-all-connections',
    summary: 'httpcore2 compares max_keepalive_connections with all its connections, not the idle ones (httpcore PR #1000)',
    expect: ['busy-pool'],
    variants: [
      {
        line: 'httpx2',
        package: 'httpcore2',
        edits: [
          {
            file: 'httpcore2/_async/connection_pool.py',
            find: '            sum(connection.is_idle() and connection not in request_connections for connection in retained_connections)\n',
            replace: '            len(retained_connections)  # sentinel counts-all-connections\n',
          },
        ],
      },
    ],
  },
]);
