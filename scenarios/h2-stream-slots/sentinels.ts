// No httpcore or httpcore2 release resets an early-closed HTTP/2 stream (encode/httpcore#943 is open), so
// the failure cannot be put back into a fixed release. These sentinels start from the local fix build the
// scenario carries (httpcore-1.0.9-reset-on-close.patch, after encode/httpcore#1098's description), written
// as exact-text edits of the newest httpcore, and break it the ways a fix can break: its guard inverted (no
// stream is ever reset) and the fix landed in the sync code only. Each must come out `reproduced`;
// test/h2-stream-slots-fix.test.ts proves the fix build itself is `fixed`. (A fix that drops the RST_STREAM,
// or retires the connection instead, was tried: httpcore then closes the connection before the follow-ups,
// which frees the server's slots, and the judge rightly calls that `fixed`.)
import { defineSentinels, type Edit } from '../../harness/sentinels/definition.ts';

type Flavour = '_async' | '_sync';

const importErrors = (flavour: Flavour): Edit => ({
  file: `httpcore/${flavour}/http2.py`,
  find: 'import h2.events\n',
  replace: 'import h2.errors\nimport h2.events\n',
});

/** _response_closed's first lines in httpcore 1.0.9, where the fix goes. */
const RESPONSE_CLOSED: Record<Flavour, string> = {
  _async: '    async def _response_closed(self, stream_id: int) -> None:\n        await self._max_streams_semaphore.release()\n',
  _sync: '    def _response_closed(self, stream_id: int) -> None:\n        self._max_streams_semaphore.release()\n',
};

/** The fix's lines (the patch's own), with its guard as given and a note of what the sentinel changed. */
function fix(flavour: Flavour, guard: string, note: string): Edit {
  const [signature, release] = RESPONSE_CLOSED[flavour].split('\n');
  return {
    file: `httpcore/${flavour}/http2.py`,
    find: RESPONSE_CLOSED[flavour],
    replace:
      `${signature}\n` +
      `        # Local build after encode/httpcore#1098; ${note}\n` +
      '        stream = self._h2_state.streams.get(stream_id)\n' +
      `        if ${guard}:\n` +
      '            try:\n' +
      '                self._h2_state.reset_stream(stream_id, error_code=h2.errors.ErrorCodes.CANCEL)\n' +
      '            except h2.exceptions.ProtocolError:  # pragma: nocover\n' +
      '                pass\n' +
      `${release}\n`,
  };
}

const FIX_GUARD = 'stream is not None and not stream.closed';

export default defineSentinels([
  {
    id: 'reset-guard-inverted',
    summary: "the fix build with its guard inverted: only streams that are already closed are reset, so no early-closed stream ever is",
    expect: ['early-close'],
    variants: [
      {
        line: 'httpx',
        package: 'httpcore',
        edits: [importErrors('_async'), fix('_async', 'stream is not None and stream.closed', 'sentinel reset-guard-inverted')],
      },
    ],
  },
  {
    id: 'reset-sync-only',
    summary: 'the fix build with the reset in the sync connection only: the async client leaks every early-closed stream again',
    expect: ['early-close'],
    variants: [
      {
        line: 'httpx',
        package: 'httpcore',
        edits: [importErrors('_sync'), fix('_sync', FIX_GUARD, 'sentinel reset-sync-only: not in the async code the client runs')],
      },
    ],
  },
]);
