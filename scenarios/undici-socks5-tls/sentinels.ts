// The SOCKS5 requestTls drop put back into the newest undici (8.14.1), three ways: ProxyAgent not handing
// requestTls to its Socks5ProxyAgent (the state before the fix), the SOCKS5 agent not spreading it into
// tls.connect, and only its servername ignored (the URL's host used for SNI and the identity check).
import { defineSentinels } from '../../harness/sentinels/definition.ts';

export default defineSentinels([
  {
    id: 'request-tls-not-passed',
    summary: 'ProxyAgent builds its Socks5ProxyAgent without requestTls (as 7.23.0 - 7.27.2 and 8.0.0 - 8.4.1 did)',
    expect: ['request-tls-ca', 'reject-unauthorized-false', 'servername'],
    variants: [
      {
        line: 'undici',
        package: 'undici',
        edits: [
          {
            file: 'lib/dispatcher/proxy-agent.js',
            find: '          proxyTls: opts.proxyTls,\n          requestTls: opts.requestTls\n',
            replace: '          proxyTls: opts.proxyTls,\n          requestTls: undefined // sentinel\n',
          },
        ],
      },
    ],
  },
  {
    id: 'request-tls-not-spread',
    summary: "Socks5ProxyAgent keeps requestTls but its tls.connect takes only the socket and servername: the CA and rejectUnauthorized are dropped",
    expect: ['request-tls-ca', 'reject-unauthorized-false', 'servername'],
    variants: [
      {
        line: 'undici',
        package: 'undici',
        edits: [
          {
            file: 'lib/dispatcher/socks5-proxy-agent.js',
            find: '                  ...this[kRequestTls],\n                  socket,\n',
            replace: '                  socket, // sentinel: requestTls not spread\n',
          },
        ],
      },
    ],
  },
  {
    id: 'servername-ignored',
    summary: "Socks5ProxyAgent applies requestTls but names the URL's host as servername: a certificate for requestTls.servername fails the identity check",
    expect: ['servername'],
    variants: [
      {
        line: 'undici',
        package: 'undici',
        edits: [
          {
            file: 'lib/dispatcher/socks5-proxy-agent.js',
            find: 'servername: this[kRequestTls]?.servername || targetHost',
            replace: 'servername: targetHost // sentinel',
          },
        ],
      },
    ],
  },
]);
