// CVE-2024-35195 put back into the newest requests: the verify setting leaves the pool key (as before 2.32.0,
// when pools were keyed by host alone), so the verify=True request is handed the pool, and the idle
// connection, that the verify=False request opened.
import { defineSentinels } from '../../harness/sentinels/definition.ts';

export default defineSentinels([
  {
    id: 'verify-not-in-pool-key',
    summary: 'cert_reqs no longer part of the pool key: verify=True reuses the verify=False connection (requests < 2.32.0)',
    expect: ['verify-after-unverified'],
    variants: [
      {
        line: 'requests',
        package: 'requests',
        edits: [
          {
            file: 'requests/adapters.py',
            find: '    pool_kwargs["cert_reqs"] = cert_reqs\n',
            replace: '    # sentinel verify-not-in-pool-key: pools keyed by host alone, whatever verify says (requests < 2.32.0)\n',
          },
        ],
      },
    ],
  },
]);
