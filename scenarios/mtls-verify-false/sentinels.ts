// httpx #3441 put back: as in httpx 0.28.0, create_ssl_context returns the verify=False context before
// cert= is loaded, so the client certificate never reaches the handshake.
import { defineSentinels, type Edit } from '../../harness/sentinels/definition.ts';

const VERIFY_FALSE =
  '    elif verify is False:\n' +
  '        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)\n' +
  '        ctx.check_hostname = False\n' +
  '        ctx.verify_mode = ssl.CERT_NONE\n';

const returnsEarly = (client: string): Edit => ({
  file: `${client}/_config.py`,
  find: VERIFY_FALSE,
  replace: `${VERIFY_FALSE}        return ctx  # sentinel verify-false-drops-cert: cert= is never loaded (httpx 0.28.0)\n`,
});

// Node lines. axios's Node adapter exists twice: lib/ (what `import axios from 'axios'` loads) and dist/node/axios.cjs (require()).
const AXIOS_ADAPTERS = ['lib/adapters/http.js', 'dist/node/axios.cjs'];
/** axios's httpsAgent replaced by a bare https.Agent that keeps only the user's rejectUnauthorized. */
const AXIOS_TLS_DROPPED = "const httpsAgent = own('httpsAgent') && new https.Agent({ rejectUnauthorized: own('httpsAgent').options.rejectUnauthorized }); // sentinel";

export default defineSentinels([
  {
    id: 'verify-false-drops-cert',
    summary: 'verify=False returns its context before cert= is loaded, so no client certificate is presented (httpx 0.28.0)',
    expect: ['verify-false'],
    variants: [
      { line: 'httpx', package: 'httpx', edits: [returnsEarly('httpx')] },
      { line: 'httpx2', package: 'httpx2', edits: [returnsEarly('httpx2')] },
      // undici's connector drops cert/key and secureContext when rejectUnauthorized is false.
      {
        line: 'undici',
        package: 'undici',
        edits: [{
          file: 'lib/core/connect.js',
          find: '  const options = { path: socketPath, ...opts }\n',
          replace: '  const options = { path: socketPath, ...opts }\n  if (options.rejectUnauthorized === false) { delete options.cert; delete options.key; delete options.secureContext } // sentinel\n',
        }],
      },
    ],
  },
  // Node lines: with verification off the client certificate is not sent.
  {
    id: 'node-client-cert-dropped',
    summary: 'axios keeps only rejectUnauthorized of the httpsAgent given (cert, key, secureContext lost); got drops https.certificate',
    expect: ['verify-false'],
    variants: [
      { line: 'axios', package: 'axios', edits: AXIOS_ADAPTERS.map((file) => ({ file, find: "const httpsAgent = own('httpsAgent');", replace: AXIOS_TLS_DROPPED })) },
      { line: 'got', package: 'got', edits: [{ file: 'dist/source/core/options.js', find: '            cert: https.certificate,\n', replace: '            cert: undefined, // sentinel node-client-cert-dropped\n' }] },
    ],
  },
]);
