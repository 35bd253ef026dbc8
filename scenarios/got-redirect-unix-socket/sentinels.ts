// got's redirect guard against UNIX sockets (#2047, 861ccd9a) taken back out of the newest tarball
// (16.2.0): the redirect is followed wherever it points, as in 11.8.3 and 12.0.4.
import { defineSentinels, type Edit } from '../../harness/sentinels/definition.ts';

const followsUnixRedirect: Edit = {
  file: 'dist/source/core/index.js',
  find: `                    this._beforeError(new RequestError('Cannot redirect to UNIX socket', {}, this));
                    return;
`,
  replace: '                    // sentinel follows-unix-redirect: no redirect guard for UNIX sockets (got 12.0.4, 11.8.3)\n',
};

export default defineSentinels([
  {
    id: 'follows-unix-redirect',
    summary: 'a redirect to http://unix:<socket>:<path> is followed: a remote server reaches a local-only socket (got 12.0.4, CVE-2022-33987)',
    expect: ['redirect-to-unix-socket'],
    variants: [{ line: 'got', package: 'got', edits: [followsUnixRedirect] }],
  },
]);
