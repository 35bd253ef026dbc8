// `npm run build` (run by `npm pack` through prepack): compile the harness, fixtures, certificates and
// scenarios into dist/ (with declarations for `regress/kit`), then copy beside them what is not TypeScript
// but is read at run time: each scenario's client programs (clients/*.py, clients/*.mjs), expectations.json, README.md and
// patches, the Python and Node client contracts (harness/python, harness/node) and the client families (families/: their records
// and contract modules).
import { execa } from 'execa';
import { cp, readdir, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');

// From scratch: a scenario removed from the sources must not linger in the package.
await rm(dist, { recursive: true, force: true });
await execa('tsc', ['-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit', preferLocal: true });
// `regress/kit` (package.json "exports") with its declarations, so a project's TypeScript scenario
// type-checks against the installed package; only the kit and what its types name get a .d.ts.
await execa('tsc', ['-p', 'tsconfig.kit.json'], { cwd: root, stdio: 'inherit', preferLocal: true });

const ASSETS = /\.(py|mjs|json|md|patch)$/;
for (const scenario of await readdir(join(root, 'scenarios'), { withFileTypes: true })) {
  if (!scenario.isDirectory()) continue;
  const from = join(root, 'scenarios', scenario.name);
  await cp(from, join(dist, 'scenarios', scenario.name), {
    recursive: true,
    // Folders (no extension: the scenario's own, clients/) and the assets; the TypeScript is compiled above.
    filter: (source) => source === from || (basename(source) !== '__pycache__' && (!basename(source).includes('.') || ASSETS.test(basename(source)))),
  });
}
await cp(join(root, 'families'), join(dist, 'families'), { recursive: true, filter: (source) => !source.includes('__pycache__') });
await cp(join(root, 'harness', 'python'), join(dist, 'harness', 'python'), {
  recursive: true,
  filter: (source) => !source.includes('__pycache__'),
});
// The Node client contract (resolve hooks and core) the npm families' programs run under.
await cp(join(root, 'harness', 'node'), join(dist, 'harness', 'node'), { recursive: true });
process.stdout.write(`built ${dist}\n`);
