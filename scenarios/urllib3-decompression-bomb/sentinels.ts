// urllib3's decompression bounds taken back out of the newest wheel, one at a time: each puts one of the
// advisories' failures back the way the last broken release had it, and names the cases that must catch it.
// The requests line runs the same patched urllib3 under the newest requests (clients/requests.py), except
// drain-decodes: requests has no drain_conn() of its own, so that case is not applicable there.
import { defineSentinels, type Edit } from '../../harness/sentinels/definition.ts';

const RESPONSE = 'urllib3/response.py';

// HTTPResponse._decode: every decode unbounded, as before 2.6.0 (GHSA-2xpw-w6gg-jr37): a read(amt)
// inflates everything the compressed bytes it read hold.
const unboundedDecode: Edit = {
  file: RESPONSE,
  find: '        if max_length is None or flush_decoder:\n            max_length = -1\n',
  replace: '        max_length = -1  # sentinel unbounded-decode: the output of a read is not limited (urllib3 2.5.0)\n',
};

// MultiDecoder: any number of codings, as before 2.6.0 (GHSA-gm62-xv2j-4w53).
const unboundedChain: Edit = {
  file: RESPONSE,
  find: '    max_decode_links = 5\n',
  replace: '    max_decode_links = 1_000_000  # sentinel unbounded-chain: no limit on stacked codings (urllib3 2.5.0)\n',
};

// read_chunked: the next chunk read before the decoder's leftover is handed out, so the leftover piles up
// and the final flush inflates it all at once, as 2.6.0 - 2.6.1 did (fixed in 2.6.2, #3736).
const chunkedLeftover: Edit = {
  file: RESPONSE,
  find: '                if self._decoder and self._decoder.has_unconsumed_tail:\n',
  replace: '                if False:  # sentinel chunked-leftover: the leftover waits for the final flush (urllib3 2.6.1)\n',
};

// drain_conn: the rest of the body read through read(), which decodes it whole, as 2.6.0 - 2.6.3 did
// (GHSA-mf9v-mfxr-j63j, fixed in 2.7.0).
const drainDecodes: Edit = {
  file: RESPONSE,
  find: '            while self._raw_read(_READ_CHUNK_SIZE):\n                pass\n',
  replace: '            self.read()  # sentinel drain-decodes: the drained body is decoded whole (urllib3 2.6.3)\n',
};

// GzipDecoder: the bytes a bounded decode left over are dropped instead of fed to the next call: the guard
// then breaks real data (what the valid-payload case is there to catch; no release measured does this).
const dropsTail: Edit = {
  file: RESPONSE,
  find: '        data = self._unconsumed_tail + data\n',
  replace: '        data = data  # sentinel gzip-drops-tail: what a bounded decode left over is lost\n',
};

export default defineSentinels([
  {
    id: 'unbounded-decode',
    summary: 'HTTPResponse._decode ignores max_length, so a 1 MiB read of the bomb inflates all of it (urllib3 2.5.0, GHSA-2xpw-w6gg-jr37)',
    expect: ['streamed-bomb', 'streamed-bomb-chunked'],
    variants: [
      { line: 'urllib3', package: 'urllib3', edits: [unboundedDecode] },
      { line: 'requests', package: 'urllib3', edits: [unboundedDecode] },
    ],
  },
  {
    id: 'unbounded-chain',
    summary: 'MultiDecoder accepts any number of Content-Encoding links (urllib3 2.5.0, GHSA-gm62-xv2j-4w53)',
    expect: ['encoding-chain'],
    variants: [
      { line: 'urllib3', package: 'urllib3', edits: [unboundedChain] },
      { line: 'requests', package: 'urllib3', edits: [unboundedChain] },
    ],
  },
  {
    id: 'chunked-leftover',
    summary: "read_chunked leaves the decoder's leftover for the final flush, which inflates the rest of a chunked bomb at once (urllib3 2.6.0 - 2.6.1)",
    expect: ['streamed-bomb-chunked'],
    variants: [
      { line: 'urllib3', package: 'urllib3', edits: [chunkedLeftover] },
      { line: 'requests', package: 'urllib3', edits: [chunkedLeftover] },
    ],
  },
  {
    id: 'drain-decodes',
    summary: 'drain_conn() after a partial read decodes the rest of the body whole (urllib3 2.6.0 - 2.6.3, GHSA-mf9v-mfxr-j63j)',
    expect: ['drain-after-partial-read'],
    variants: [{ line: 'urllib3', package: 'urllib3', edits: [drainDecodes] }],
  },
  {
    id: 'gzip-drops-tail',
    summary: 'GzipDecoder drops the compressed bytes a bounded decode left over, so a valid streamed gzip payload fails or comes out wrong',
    expect: ['valid-payload'],
    variants: [
      { line: 'urllib3', package: 'urllib3', edits: [dropsTail] },
      { line: 'requests', package: 'urllib3', edits: [dropsTail] },
    ],
  },
]);
