// The httpcore 1.0.2 cancellation bug (fixed by encode/httpcore#880 in 1.0.3) put back into today's pool.
// In 1.0.2 a request cancelled while it waited for a connection removed itself from the queue under an
// unshielded lock, so under anyio's level cancellation the removal never ran: the stale request stayed
// queued, the pool later created connections for it that nobody used, and they filled the pool. The edit
// keeps a request cancelled while queued in the queue, which restores exactly that state.
import { defineSentinels, type Edit } from '../../harness/sentinels/definition.ts';

const staleRequest = (core: string): Edit => ({
  file: `${core}/_async/connection_pool.py`,
  find:
    '        except BaseException as exc:\n' +
    '            with self._optional_thread_lock:\n' +
    '                # For any exception or cancellation we remove the request from\n' +
    '                # the queue, and then re-assign requests to connections.\n' +
    '                self._requests.remove(pool_request)\n',
  replace:
    '        except BaseException as exc:\n' +
    '            with self._optional_thread_lock:\n' +
    '                # sentinel cancel-stale-request: a request cancelled while queued stays queued\n' +
    '                import asyncio\n' +
    '\n' +
    '                if not (pool_request.is_queued() and isinstance(exc, asyncio.CancelledError)):\n' +
    '                    self._requests.remove(pool_request)\n',
});

export default defineSentinels([
  {
    id: 'cancel-stale-request',
    summary: 'httpcore <= 1.0.2: a request cancelled while it waits stays in the pool queue and later holds a connection',
    expect: ['cancel'],
    variants: [
      { line: 'httpx', package: 'httpcore', edits: [staleRequest('httpcore')] },
      { line: 'httpx2', package: 'httpcore2', edits: [staleRequest('httpcore2')] },
    ],
  },
]);
