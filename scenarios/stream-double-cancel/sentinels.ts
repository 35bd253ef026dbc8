// Open upstream on the httpx line; fixed in httpx2 from 2.3.0, where httpcore2's asyncio lock is taken with
// `anyio.Lock(fast_acquire=True)` (pydantic/httpx2#970): the uncontended lock in `_response_closed` no
// longer yields, so the clean-up finishes before the second cancel lands. The edit takes the lock the
// yielding way again, as httpcore 1.0.9 does, which puts httpx #3782 back into httpcore2.
import { defineSentinels } from '../../harness/sentinels/definition.ts';

export default defineSentinels([
  {
    id: 'yielding-lock',
    summary: "httpcore2's asyncio lock yields on an uncontended acquire again, so a second cancel interrupts the response clean-up (httpx #3782)",
    expect: ['double-cancel', 'yield-sweep'],
    variants: [
      {
        line: 'httpx2',
        package: 'httpcore2',
        edits: [
          {
            file: 'httpcore2/_synchronization.py',
            find: '            self._anyio_lock = anyio.Lock(fast_acquire=True)\n',
            replace: '            self._anyio_lock = anyio.Lock()  # sentinel yielding-lock\n',
          },
        ],
      },
    ],
  },
]);
