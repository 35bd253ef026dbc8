// got 14.5.0's fix taken back out of the newest tarball (16.2.0). Two changes of 14.5.0 each end the hang
// on their own (measured): the cacheable-request 13 line (a2341276; from 13.0.14 its responselike 4 marks a
// cached response complete and ends it only after its body was read) and 2ab94fd4 (got marks a cached
// ResponseLike complete itself). The sentinel undoes both, as 14.4.9 had them: cacheable-request pinned to
// 12.0.1 (the newest 12.x, what `^12.0.1` in 14.4.9 installs) and the `complete` fallback gone.
import { defineSentinels, type Edit } from '../../harness/sentinels/definition.ts';

const cacheableRequest12: Edit = {
  file: 'package.json',
  find: '"cacheable-request": "^13.0.19"',
  replace: '"cacheable-request": "12.0.1"',
};

const noCompleteFallback: Edit = {
  file: 'dist/source/core/index.js',
  find: `                            else if (response.complete === undefined) {
                                // ResponseLike from cache should have complete = true
                                response.complete = true;
                            }
`,
  replace: '                            // sentinel revalidated-incomplete: a cached ResponseLike keeps complete undefined (got 14.4.9)\n',
};

export default defineSentinels([
  {
    id: 'revalidated-incomplete',
    summary: 'a revalidated response from the cache is never marked complete, on cacheable-request 12.0.1: the request hangs when the 304 says Content-Encoding: gzip (got 14.4.9, #2410 / #2317)',
    expect: ['revalidated-gzip'],
    variants: [{ line: 'got', package: 'got', edits: [cacheableRequest12, noCompleteFallback] }],
  },
]);
