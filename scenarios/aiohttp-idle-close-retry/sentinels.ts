// aiohttp #7297 put back into the newest aiohttp, both halves: no retry at all (as before 3.10.0: the GET
// raises ServerDisconnectedError), and a retry that ignores idempotency (the POST replayed, a duplicate side
// effect no release has shipped). client.py is pure Python in every wheel (the C extensions are the HTTP
// parser and writer only), so the edited code is the code that runs.
import { defineSentinels } from '../../harness/sentinels/definition.ts';

const RETRY_DECISION = '                retry_persistent_connection = (\n                    self._retry_connection and method in IDEMPOTENT_METHODS\n                )\n';

export default defineSentinels([
  {
    id: 'no-retry-on-reused-connection',
    summary: 'the reused-connection retry switched off: the GET raises ServerDisconnectedError (aiohttp < 3.10.0)',
    expect: ['get'],
    variants: [
      {
        line: 'aiohttp',
        package: 'aiohttp',
        edits: [
          {
            file: 'aiohttp/client.py',
            find: RETRY_DECISION,
            replace: '                # sentinel no-retry-on-reused-connection: never retried (aiohttp < 3.10.0)\n                retry_persistent_connection = False\n',
          },
        ],
      },
    ],
  },
  {
    id: 'post-replayed',
    summary: 'the reused-connection retry for every method: the POST is sent twice',
    expect: ['post'],
    variants: [
      {
        line: 'aiohttp',
        package: 'aiohttp',
        edits: [
          {
            file: 'aiohttp/client.py',
            find: RETRY_DECISION,
            replace: '                # sentinel post-replayed: retried whatever the method\n                retry_persistent_connection = self._retry_connection\n',
          },
        ],
      },
    ],
  },
]);
