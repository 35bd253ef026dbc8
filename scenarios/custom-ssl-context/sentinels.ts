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

export default defineSentinels([
  {
    id: 'context-ignored',
    summary: 'verify=<SSLContext> is replaced by the default (certifi / truststore) context',
    expect: ['trusted-ca', 'mtls', 'wrong-host', 'expired'],
    variants: variants((client) => onContext(client, DEFAULT_CONTEXT[client]!)),
  },
  {
    id: 'hostname-check-off',
    summary: 'the caller\'s context is used with hostname verification switched off',
    expect: ['wrong-host'],
    variants: variants((client) => onContext(client, '        ctx = verify\n        ctx.check_hostname = False  # sentinel hostname-check-off\n')),
  },
  {
    id: 'cert-checks-off',
    summary: 'the caller\'s context is used with CERT_NONE (no certificate or hostname verification)',
    expect: ['untrusted', 'wrong-host', 'expired'],
    variants: variants((client) =>
      onContext(client, '        ctx = verify\n        ctx.check_hostname = False\n        ctx.verify_mode = ssl.CERT_NONE  # sentinel cert-checks-off\n'),
    ),
  },
  {
    id: 'client-cert-dropped',
    summary: 'the context is copied with its CA trust but without its certificate chain, so no client certificate is presented',
    expect: ['mtls'],
    variants: variants((client) =>
      onContext(
        client,
        '        # sentinel client-cert-dropped: a copy that keeps the trusted CAs only\n' +
          '        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)\n' +
          '        for der in verify.get_ca_certs(binary_form=True):\n' +
          '            ctx.load_verify_locations(cadata=der)\n',
      ),
    ),
  },
]);
