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

export default defineSentinels([
  {
    id: 'context-ignored',
    summary: 'verify=<SSLContext> is replaced by the default (certifi / truststore) context',
    expect: ['trusted-ca', 'mtls', 'wrong-host', 'expired', 'minimum-tls13'],
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
  {
    id: 'weak-default-protocol',
    summary: 'the default context (verify=True) accepts TLS 1.0/1.1: minimum version lowered, security level 0',
    expect: ['legacy-server'],
    variants: variants((client) => {
      const indent = DEFAULT_BUILT[client]!.match(/^ */)![0];
      return { file: `${client}/_config.py`, find: DEFAULT_BUILT[client]!, replace: DEFAULT_BUILT[client]! + WEAKEN(indent, 'weak-default-protocol') };
    }),
  },
  {
    id: 'weak-cafile-protocol',
    summary: 'the context built for verify=<CA file> accepts TLS 1.0/1.1: minimum version lowered, security level 0',
    expect: ['legacy-server'],
    variants: variants((client) => ({
      file: `${client}/_config.py`,
      find: CAFILE_BUILT,
      replace: '        ctx = ssl.create_default_context(cafile=verify)\n' + WEAKEN('        ', 'weak-cafile-protocol') + '        return ctx\n',
    })),
  },
  {
    id: 'minimum-version-lowered',
    summary: "the caller's context is used with its minimum_version lowered to TLS 1.2",
    expect: ['minimum-tls13'],
    variants: variants((client) => onContext(client, '        ctx = verify\n        ctx.minimum_version = ssl.TLSVersion.TLSv1_2  # sentinel minimum-version-lowered\n')),
  },
]);
