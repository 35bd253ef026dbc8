// The proxy failures put back into the newest axios, in both copies of its Node adapter: lib/ (what
// `import axios from 'axios'` loads) and dist/node/axios.cjs (what require() loads).
import { defineSentinels } from '../../harness/sentinels/definition.ts';
import type { Edit } from '../../harness/sentinels/definition.ts';

const ADAPTERS = ['lib/adapters/http.js', 'dist/node/axios.cjs'];

/** The same exact-text edit in both adapter files. */
const inBothAdapters = (find: string, replace: string): Edit[] => ADAPTERS.map((file) => ({ file, find, replace }));

export default defineSentinels([
  {
    id: 'cleartext-to-proxy',
    summary: 'setProxy treats an https:// target as plain HTTP: absolute-form request to the proxy, Authorization and body in cleartext (axios < 1.16.1)',
    expect: ['tunnel', 'agent-ca', 'reject-unauthorized-false', 'global-agent-ca'],
    variants: [
      {
        line: 'axios',
        package: 'axios',
        edits: inBothAdapters(
          '    const targetIsHttps = isHttps.test(options.protocol);\n',
          '    const targetIsHttps = false; // sentinel cleartext-to-proxy: forward-proxy mode for https:// too (axios < 1.16.1)\n',
        ),
      },
    ],
  },
  {
    id: 'tunnel-drops-agent-tls',
    summary: 'the CONNECT tunnel\'s TLS upgrade gets no origin TLS options, neither the httpsAgent\'s nor https.globalAgent\'s (axios 1.16.1)',
    expect: ['agent-ca', 'reject-unauthorized-false', 'global-agent-ca'],
    variants: [
      {
        line: 'axios',
        package: 'axios',
        edits: inBothAdapters(
          '    const originTLSAgent = userHttpsAgent || https.globalAgent;\n',
          '    const originTLSAgent = null; // sentinel tunnel-drops-agent-tls (axios 1.16.1)\n',
        ),
      },
    ],
  },
  {
    id: 'tunnel-ignores-global-agent',
    summary: 'the tunnel applies an explicit httpsAgent\'s TLS options but not https.globalAgent\'s (axios 1.17.0 - 1.20.0)',
    expect: ['global-agent-ca'],
    variants: [
      {
        line: 'axios',
        package: 'axios',
        edits: inBothAdapters(
          '    const originTLSAgent = userHttpsAgent || https.globalAgent;\n',
          '    const originTLSAgent = userHttpsAgent; // sentinel tunnel-ignores-global-agent (axios 1.17.0 - 1.20.0)\n',
        ),
      },
    ],
  },
]);
