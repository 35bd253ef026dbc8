// aiohttp's decompression bound taken back out of the newest wheel (3.14.5), one way at a time: each puts one
// of the historic states back in aiohttp/http_parser.py's DeflateBuffer.feed_data. That class is pure Python
// and the C parser (_http_parser) feeds every compressed body through it, so the edit is on the path that runs.
import { defineSentinels, type Edit } from '../../harness/sentinels/definition.ts';

const PARSER = 'aiohttp/http_parser.py';

// Every network read inflated whole, as 3.13.2 did (GHSA-6mq8-rvhq-8wgg): 0 is zlib's "unlimited".
const unboundedDecode: Edit = {
  file: PARSER,
  find: '            0 if low_water >= sys.maxsize else max(self._max_decompress_size, low_water)\n',
  replace: '            0  # sentinel unbounded-decode: a network read inflates whole (aiohttp 3.13.2)\n',
};

// Output past the bound refused instead of resumed, as 3.13.3 - 3.13.5 did: a bomb is refused, and so is a
// valid body whose one network read inflates past the bound.
const refuseOverBound: Edit = {
  file: PARSER,
  find: '        return self.decompressor.data_available  # type: ignore[no-any-return]\n',
  replace:
    '        if self.decompressor.data_available:  # sentinel refuse-over-bound: no resuming past the bound (aiohttp 3.13.3)\n' +
    '            raise ContentEncodingError("Decompressed data exceeds the configured limit of %d bytes" % max_length)\n' +
    '        return False\n',
};

export default defineSentinels([
  {
    id: 'unbounded-decode',
    summary: 'DeflateBuffer.feed_data decompresses without max_length, so a 1 MiB read of the bomb inflates a whole network read of it (aiohttp 3.13.2, GHSA-6mq8-rvhq-8wgg)',
    expect: ['bomb'],
    variants: [{ line: 'aiohttp', package: 'aiohttp', edits: [unboundedDecode] }],
  },
  {
    id: 'refuse-over-bound',
    summary: 'DeflateBuffer.feed_data raises once a read inflates past its bound instead of resuming, so a valid 40 MiB gzip payload is refused (aiohttp 3.13.3)',
    expect: ['valid-payload'],
    variants: [{ line: 'aiohttp', package: 'aiohttp', edits: [refuseOverBound] }],
  },
]);
