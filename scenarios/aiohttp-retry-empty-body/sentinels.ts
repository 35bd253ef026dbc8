// aiohttp #13329 put back into the newest aiohttp: the internal retry of an idempotent request on a closed
// kept-alive connection rebuilds the request from the caller's `data` again (as before PR #13330), so a file
// object already read to its end by the first attempt is sent as an empty body. client.py is pure Python in
// every wheel (the C extensions are the HTTP parser and writer only), so the edited code is the code that runs.
import { defineSentinels } from '../../harness/sentinels/definition.ts';

export default defineSentinels([
  {
    id: 'retry-rebuilds-from-data',
    summary: 'the retry rebuilds the payload from the exhausted file object: the retried PUT carries 0 bytes (aiohttp 3.10.0 - 3.14.3)',
    expect: ['file-body-put'],
    variants: [
      {
        line: 'aiohttp',
        package: 'aiohttp',
        edits: [
          {
            file: 'aiohttp/client.py',
            find:
              '                        retry_persistent_connection = False\n' +
              '                        if data is not None:\n' +
              '                            # Rebuilding from `data` would resend only the unread\n' +
              '                            # remainder of a file object; reuse the payload, which\n' +
              '                            # rewinds itself once the cancelled writer has settled.\n' +
              '                            await req.close()\n' +
              '                            if req._body is not None and req._body.consumed:\n' +
              '                                raise\n' +
              '                            data = req._body\n' +
              '                        continue\n',
            replace:
              '                        retry_persistent_connection = False\n' +
              '                        # sentinel retry-rebuilds-from-data: the retry rebuilds the body from `data` (aiohttp < 3.14.4)\n' +
              '                        continue\n',
          },
        ],
      },
    ],
  },
]);
