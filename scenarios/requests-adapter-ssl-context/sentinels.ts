// Both failures put back into the newest requests (2.32.5 and later load the default bundle into any
// pool's context, and never replace an adapter's context):
// * #6730: cert_verify skips the default bundle for verify=True when the pool has a context of its own, as
//   2.32.3 and 2.32.4 skipped it (they relied on a preloaded context the adapter's context had displaced);
// * #6715: verify=True hands the pools requests' own preloaded default context, displacing the adapter's,
//   as 2.32.0 - 2.32.2 did.
import { defineSentinels } from '../../harness/sentinels/definition.ts';

export default defineSentinels([
  {
    id: 'adapter-context-no-default-ca',
    summary: "the adapter's own ssl_context gets no CA bundle with verify=True (requests 2.32.3, 2.32.4: #6730)",
    expect: ['adapter-context-default-ca'],
    variants: [
      {
        line: 'requests',
        package: 'requests',
        edits: [
          {
            file: 'requests/adapters.py',
            find: '            if not os.path.isdir(cert_loc):\n                conn.ca_certs = cert_loc\n',
            replace:
              '            if verify is True and conn.conn_kw.get("ssl_context") is not None:\n' +
              '                pass  # sentinel adapter-context-no-default-ca: the pool\'s own context is left without a CA bundle\n' +
              '            elif not os.path.isdir(cert_loc):\n' +
              '                conn.ca_certs = cert_loc\n',
          },
        ],
      },
    ],
  },
  {
    id: 'adapter-context-displaced',
    summary: "verify=True pools get requests' preloaded default context instead of the adapter's (requests 2.32.0 - 2.32.2: #6715)",
    expect: ['adapter-context-used'],
    variants: [
      {
        line: 'requests',
        package: 'requests',
        edits: [
          {
            file: 'requests/adapters.py',
            find: 'DEFAULT_POOL_TIMEOUT = None\n',
            replace:
              'DEFAULT_POOL_TIMEOUT = None\n\n' +
              '# sentinel adapter-context-displaced: the preloaded default context of requests 2.32.0 - 2.32.2\n' +
              'from urllib3.util.ssl_ import create_urllib3_context as _sentinel_context\n\n' +
              '_preloaded_ssl_context = _sentinel_context()\n' +
              '_preloaded_ssl_context.load_verify_locations(DEFAULT_CA_BUNDLE_PATH)\n',
          },
          {
            file: 'requests/adapters.py',
            find: '    if verify is False:\n        cert_reqs = "CERT_NONE"\n',
            replace:
              '    if verify is False:\n        cert_reqs = "CERT_NONE"\n' +
              '    elif verify is True:\n' +
              '        pool_kwargs["ssl_context"] = _preloaded_ssl_context  # sentinel adapter-context-displaced\n',
          },
        ],
      },
    ],
  },
]);
