// aiohttp #12953 put back into the newest aiohttp: ResponseHandler.resume_reading() reschedules the sock_read
// timer on every call again (as 3.14.0 and 3.14.1 did), so reading a buffered body after the connection went
// back to the pool arms the timer on the idle connection. client_proto.py is pure Python in every wheel (the
// C extensions are _http_parser and _http_writer only), so the edited code is the code that runs.
import { defineSentinels } from '../../harness/sentinels/definition.ts';

export default defineSentinels([
  {
    id: 'sock-read-rearmed-on-resume',
    summary: 'resume_reading() re-arms sock_read unconditionally: a pooled connection is poisoned while idle (aiohttp 3.14.0 - 3.14.1)',
    expect: ['idle-gap'],
    variants: [
      {
        line: 'aiohttp',
        package: 'aiohttp',
        edits: [
          {
            file: 'aiohttp/client_proto.py',
            find: '        if was_paused and not self._buffer_paused:\n            self._reschedule_timeout()\n',
            replace: '        # sentinel sock-read-rearmed-on-resume: re-armed on every resume, paused or not (aiohttp 3.14.0 - 3.14.1)\n        self._reschedule_timeout()\n',
          },
        ],
      },
    ],
  },
]);
