// The server's SETTINGS_MAX_CONCURRENT_STREAMS ignored in today's code: the connection sizes its stream
// permits from its own local limit (100), so more streams go out than the server allows.
import { defineSentinels, type Edit } from '../../harness/sentinels/definition.ts';

const serverLimitIgnored = (core: string): Edit => ({
  file: `${core}/_async/http2.py`,
  find: '                max_concurrent_streams.new_value,\n',
  replace: '                self._h2_state.local_settings.max_concurrent_streams,  # sentinel server-stream-limit-ignored\n',
});

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
]);
