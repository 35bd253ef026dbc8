// verify=<SSLContext> broken in the ways httpx #926 and its cousins broke it: the context replaced by a
// default one, hostname or certificate checks switched off, the client certificate lost on the way.
import { defineSentinels, type Edit } from '../../harness/sentinels/definition.ts';

const CONTEXT_USED = '    else:\n        ctx = verify\n';

/** Replace how create_ssl_context adopts the caller's context. */
const onContext = (client: string, replace: string): Edit => ({
  file: `${client}/_config.py`,
  find: CONTEXT_USED,
  replace: `    else:\n${replace}`,
});

/** The line's default context (certifi for httpx, httpcore2.default_ssl_context for httpx2). */
const DEFAULT_CONTEXT: Record<string, string> = {
  httpx: '        ctx = ssl.create_default_context(cafile=certifi.where())  # sentinel context-ignored\n',
  httpx2: '        ctx = httpcore2.default_ssl_context(_trust_env=trust_env)  # sentinel context-ignored\n',
};

const variants = (edit: (client: string) => Edit) =>
  (['httpx', 'httpx2'] as const).map((client) => ({ line: client, package: client, edits: [edit(client)] }));

/** A context weakened below TLS 1.2: the oldest protocol OpenSSL has, and ciphers at security level 0. */
const WEAKEN = (indent: string, id: string): string =>
  `${indent}ctx.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED  # sentinel ${id}\n${indent}ctx.set_ciphers("DEFAULT@SECLEVEL=0")\n`;

/** Where each line builds its default context (verify=True). */
const DEFAULT_BUILT: Record<string, string> = {
  httpx: '            ctx = ssl.create_default_context(cafile=certifi.where())\n',
  httpx2: '        ctx = httpcore2.default_ssl_context(_trust_env=trust_env)\n',
};

/** Where each line builds the context for verify=<CA file> (deprecated, still the client's own code). */
const CAFILE_BUILT = '        return ssl.create_default_context(cafile=verify)\n';

// urllib3's side (urllib3 2.x, which requests drives too): where a connection adopts the caller's context
// (_ssl_wrap_socket_and_match_hostname in urllib3/connection.py), where urllib3 builds its own
// (create_urllib3_context in urllib3/util/ssl_.py) and where it loads a CA file and a client certificate
// into whichever context it uses (ssl_wrap_socket). Each edit is put into both lines that run urllib3: the
// urllib3 family on its own, and requests on its newest urllib3.
const URLLIB3_CONNECTION = 'urllib3/connection.py';
const URLLIB3_SSL = 'urllib3/util/ssl_.py';
const CONTEXT_MODE = '    context.verify_mode = resolve_cert_reqs(cert_reqs)\n';

const onUrllib3 = (edits: Edit[]) => (['requests', 'urllib3'] as const).map((line) => ({ line, package: 'urllib3', edits }));

/** A connection that checks nothing of the server's name: the context's check and urllib3's own both off. */
const URLLIB3_HOSTNAME_OFF: Edit = {
  file: URLLIB3_CONNECTION,
  find: CONTEXT_MODE,
  replace: CONTEXT_MODE + '    context.check_hostname = False  # sentinel hostname-check-off\n    assert_hostname = False\n',
};

/** requests 2.32.0 - 2.32.2 put back (psf/requests#6716): for verify=True its own certifi context replaces the adapter's. */
const REQUESTS_OWN_CONTEXT: Edit = {
  file: 'requests/adapters.py',
  find: '    cert_reqs = "CERT_REQUIRED"\n    if verify is False:\n        cert_reqs = "CERT_NONE"\n    elif isinstance(verify, str):\n',
  replace:
    '    cert_reqs = "CERT_REQUIRED"\n    if verify is False:\n        cert_reqs = "CERT_NONE"\n    elif verify is True:\n' +
    '        # sentinel context-ignored: the 2.32.0 - 2.32.2 preloaded context, over the one the adapter was given\n' +
    '        from urllib3.util.ssl_ import create_urllib3_context\n\n' +
    '        pool_kwargs["ssl_context"] = create_urllib3_context()\n' +
    '        pool_kwargs["ssl_context"].load_verify_locations(DEFAULT_CA_BUNDLE_PATH)\n' +
    '    elif isinstance(verify, str):\n',
};

/** aiohttp's connector hands the handshake its own default context instead of the ssl= one it was given. */
const AIOHTTP_OWN_CONTEXT: Edit = {
  file: 'aiohttp/connector.py',
  find: '        sslcontext = self._ssl\n        if isinstance(sslcontext, ssl.SSLContext):\n            return sslcontext\n',
  replace:
    '        sslcontext = self._ssl\n        if isinstance(sslcontext, ssl.SSLContext):\n' +
    '            return _SSL_CONTEXT_VERIFIED  # sentinel context-ignored: the default context over the one given\n',
};

// Node lines. axios's Node adapter exists twice: lib/ (what `import axios from 'axios'` loads) and dist/node/axios.cjs (require()).
const AXIOS_ADAPTERS = ['lib/adapters/http.js', 'dist/node/axios.cjs'];
/** axios's httpsAgent replaced by a bare https.Agent that keeps only the user's rejectUnauthorized. */
const AXIOS_TLS_DROPPED = "const httpsAgent = own('httpsAgent') && new https.Agent({ rejectUnauthorized: own('httpsAgent').options.rejectUnauthorized }); // sentinel";
/** undici: the connector (lib/core/connect.js) builds its tls.connect options from Agent({ connect }); `extra` changes them. */
const undiciConnect = (extra: string, expect?: string[]) => ({
  line: 'undici' as const,
  package: 'undici',
  edits: [{ file: 'lib/core/connect.js', find: '  const options = { path: socketPath, ...opts }\n', replace: `  const options = { path: socketPath, ...opts }\n  ${extra} // sentinel\n` }],
  ...(expect ? { expect } : {}),
});

export default defineSentinels([
  {
    id: 'context-ignored',
    summary: 'verify=<SSLContext> is replaced by the default (certifi / truststore) context',
    expect: ['trusted-ca', 'mtls', 'wrong-host', 'expired', 'minimum-tls13'],
    variants: [
      ...variants((client) => onContext(client, DEFAULT_CONTEXT[client]!)),
      { line: 'requests', package: 'requests', edits: [REQUESTS_OWN_CONTEXT] },
      { line: 'aiohttp', package: 'aiohttp', edits: [AIOHTTP_OWN_CONTEXT] },
      undiciConnect('delete options.ca', ['trusted-ca', 'mtls']), // minVersion survives: minimum-tls13 still refused
      {
        line: 'urllib3',
        package: 'urllib3',
        edits: [
          {
            file: URLLIB3_CONNECTION,
            find: '    default_ssl_context = False\n    if ssl_context is None:\n',
            replace: '    default_ssl_context = False\n    ssl_context = None  # sentinel context-ignored: urllib3 builds its own\n    if ssl_context is None:\n',
          },
        ],
      },
    ],
  },
  {
    id: 'hostname-check-off',
    summary: 'the caller\'s context is used with hostname verification switched off',
    expect: ['wrong-host'],
    variants: [
      ...variants((client) => onContext(client, '        ctx = verify\n        ctx.check_hostname = False  # sentinel hostname-check-off\n')),
      ...onUrllib3([URLLIB3_HOSTNAME_OFF]),
      undiciConnect('options.checkServerIdentity = () => undefined'),
    ],
  },
  {
    id: 'cert-checks-off',
    summary: 'the caller\'s context is used with CERT_NONE (no certificate or hostname verification)',
    expect: ['untrusted', 'wrong-host', 'expired'],
    variants: [
      ...variants((client) =>
        onContext(client, '        ctx = verify\n        ctx.check_hostname = False\n        ctx.verify_mode = ssl.CERT_NONE  # sentinel cert-checks-off\n'),
      ),
      ...onUrllib3([
        {
          file: URLLIB3_CONNECTION,
          find: CONTEXT_MODE,
          replace: '    context.check_hostname = False\n    context.verify_mode = ssl.CERT_NONE  # sentinel cert-checks-off\n    assert_hostname = False\n',
        },
      ]),
      undiciConnect('options.rejectUnauthorized = false'),
    ],
  },
  {
    id: 'client-cert-dropped',
    summary: 'the context is copied with its CA trust but without its certificate chain, so no client certificate is presented',
    expect: ['mtls'],
    variants: [
      ...variants((client) =>
        onContext(
          client,
          '        # sentinel client-cert-dropped: a copy that keeps the trusted CAs only\n' +
            '        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)\n' +
            '        for der in verify.get_ca_certs(binary_form=True):\n' +
            '            ctx.load_verify_locations(cadata=der)\n',
        ),
      ),
      // urllib3: cert_file / key_file (requests' cert=) never reach the context.
      ...onUrllib3([
        {
          file: URLLIB3_CONNECTION,
          find: '        keyfile=key_file,\n        certfile=cert_file,\n',
          replace: '        keyfile=None,  # sentinel client-cert-dropped\n        certfile=None,\n',
        },
      ]),
      undiciConnect('delete options.cert; delete options.key'),
    ],
  },
  {
    id: 'weak-default-protocol',
    summary: 'the default context (verify=True) accepts TLS 1.0/1.1: minimum version lowered, security level 0',
    expect: ['legacy-server'],
    variants: [
      ...variants((client) => {
        const indent = DEFAULT_BUILT[client]!.match(/^ */)![0];
        return { file: `${client}/_config.py`, find: DEFAULT_BUILT[client]!, replace: DEFAULT_BUILT[client]! + WEAKEN(indent, 'weak-default-protocol') };
      }),
      // urllib3 builds every context it makes itself (the default and the CA file's) in create_urllib3_context.
      ...onUrllib3([
        {
          file: URLLIB3_SSL,
          find: '        context.minimum_version = TLSVersion.TLSv1_2\n',
          replace: '        context.minimum_version = TLSVersion.MINIMUM_SUPPORTED  # sentinel weak-default-protocol\n        context.set_ciphers("DEFAULT@SECLEVEL=0")\n',
        },
      ]),
      // undici: every connection (the default Agent's and the CA agent's) accepts TLS 1.0 at security level 0.
      undiciConnect("Object.assign(options, { minVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0' })"),
    ],
  },
  {
    id: 'weak-cafile-protocol',
    summary: 'the context built for verify=<CA file> accepts TLS 1.0/1.1: minimum version lowered, security level 0',
    expect: ['legacy-server'],
    variants: [
      ...variants((client) => ({
        file: `${client}/_config.py`,
        find: CAFILE_BUILT,
        replace: '        ctx = ssl.create_default_context(cafile=verify)\n' + WEAKEN('        ', 'weak-cafile-protocol') + '        return ctx\n',
      })),
      // urllib3: weakened where a CA file (ca_certs=, requests' verify=) is loaded into the context.
      ...onUrllib3([
        {
          file: URLLIB3_SSL,
          find: '            context.load_verify_locations(ca_certs, ca_cert_dir, ca_cert_data)\n',
          replace:
            '            context.load_verify_locations(ca_certs, ca_cert_dir, ca_cert_data)\n' +
            '            context.minimum_version = TLSVersion.MINIMUM_SUPPORTED  # sentinel weak-cafile-protocol\n' +
            '            context.set_ciphers("DEFAULT@SECLEVEL=0")\n',
        },
      ]),
    ],
  },
  {
    id: 'minimum-version-lowered',
    summary: "the caller's context is used with its minimum_version lowered to TLS 1.2",
    expect: ['minimum-tls13'],
    variants: [
      ...variants((client) => onContext(client, '        ctx = verify\n        ctx.minimum_version = ssl.TLSVersion.TLSv1_2  # sentinel minimum-version-lowered\n')),
      ...onUrllib3([
        { file: URLLIB3_CONNECTION, find: CONTEXT_MODE, replace: CONTEXT_MODE + '    context.minimum_version = ssl.TLSVersion.TLSv1_2  # sentinel minimum-version-lowered\n' },
      ]),
      undiciConnect("if (options.minVersion) options.minVersion = 'TLSv1.2'"),
    ],
  },
  // Node lines: the private CA given is not used, so Node's bundled roots decide (the run's CA is not among them).
  {
    id: 'node-ca-dropped',
    summary: "axios keeps only rejectUnauthorized of the httpsAgent given; got drops https.certificateAuthority: the run's CA is not trusted",
    expect: ['trusted-ca', 'mtls'],
    variants: [
      { line: 'axios', package: 'axios', edits: AXIOS_ADAPTERS.map((file) => ({ file, find: "const httpsAgent = own('httpsAgent');", replace: AXIOS_TLS_DROPPED })) },
      { line: 'got', package: 'got', edits: [{ file: 'dist/source/core/options.js', find: '            ca: https.certificateAuthority,\n', replace: '            ca: undefined, // sentinel node-ca-dropped\n' }] },
    ],
  },
  {
    id: 'node-client-cert-dropped',
    summary: 'axios keeps only the ca of the httpsAgent given (cert, key lost); got drops https.certificate: no client certificate is presented',
    expect: ['mtls'],
    variants: [
      { line: 'axios', package: 'axios', edits: AXIOS_ADAPTERS.map((file) => ({ file, find: "const httpsAgent = own('httpsAgent');", replace: "const httpsAgent = own('httpsAgent') && new https.Agent({ ca: own('httpsAgent').options.ca }); // sentinel" })) },
      { line: 'got', package: 'got', edits: [{ file: 'dist/source/core/options.js', find: '            cert: https.certificate,\n', replace: '            cert: undefined, // sentinel node-client-cert-dropped\n' }] },
    ],
  },
]);
