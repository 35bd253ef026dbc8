// The unbounded chain put back into the newest undici (8.14.1): fetch's limit on Content-Encoding codings
// raised out of reach (the state before nodejs/undici#4729), and set one too high (a chain of 6 decodes).
import { defineSentinels } from '../../harness/sentinels/definition.ts';

const FETCH = 'lib/web/fetch/index.js';
const LIMIT = '              const maxContentEncodings = 5\n';

export default defineSentinels([
  {
    id: 'chain-unbounded',
    summary: "fetch decodes a Content-Encoding chain of any length (as before 6.23.0 / 7.18.0)",
    expect: ['encoding-chain'],
    variants: [{ line: 'undici', package: 'undici', edits: [{ file: FETCH, find: LIMIT, replace: '              const maxContentEncodings = Infinity // sentinel\n' }] }],
  },
  {
    id: 'chain-limit-off-by-one',
    summary: 'the limit set to 6 codings: the 6-coding chain decodes, the 50-coding one is still refused',
    expect: ['encoding-chain'],
    variants: [{ line: 'undici', package: 'undici', edits: [{ file: FETCH, find: LIMIT, replace: '              const maxContentEncodings = 6 // sentinel\n' }] }],
  },
]);
