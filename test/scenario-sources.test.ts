// Scenario metadata is printed to every user (`regress list --json`): its citations must be upstream links
// anyone can open, never a file of the machine the scenario was written on (an absolute path, ../shared,
// an internal issue's item number).
import { execa } from 'execa';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';

const root = join(import.meta.dirname, '..');

interface Listed {
  id: string;
  upstream: { issue: string; fix: string[] };
  seedClaim: { firstFixed: string; source: string };
}

describe('scenario citations', () => {
  test('every seedClaim.source in `regress list --json` cites github.com links and names no local file', async () => {
    const result = await execa(process.execPath, ['bin/regress.js', 'list', '--json', '--scenarios', 'examples/scenarios'], { cwd: root });
    const { scenarios } = JSON.parse(result.stdout) as { scenarios: Listed[] };
    expect(scenarios.length).toBeGreaterThan(10);
    for (const s of scenarios) {
      const { source } = s.seedClaim;
      // An issue, a pull request or a security advisory (a CVE fixed in a private fork has no public PR).
      expect(source, s.id).toMatch(/^https:\/\/github\.com\/[\w.-]+\/[\w.-]+\/((issues|pull)\/\d+|security\/advisories\/GHSA-[\w-]+)/);
      expect(source, s.id).not.toMatch(/(^|[\s(])(\/|\.\.?\/)|shared|write-up|issue \d+, item/);
      expect(s.upstream.issue, s.id).toMatch(/^https:\/\/github\.com\//);
    }
  });
});

describe('Node client programs', () => {
  // The resolve hook (harness/node/register.mjs) decides where a program's `import` comes from: the client
  // environment. A CommonJS require() bypasses it and, from a program inside regress's checkout, would load
  // regress's own node_modules (an undici of its own) instead of the release under test.
  test('import the client, never require() it', async () => {
    const { readdir, readFile } = await import('node:fs/promises');
    const programs: string[] = [];
    for (const id of await readdir(join(root, 'scenarios'))) {
      const dir = join(root, 'scenarios', id, 'clients');
      for (const file of await readdir(dir).catch(() => [] as string[])) if (file.endsWith('.mjs')) programs.push(join(dir, file));
    }
    expect(programs.length).toBeGreaterThan(5);
    for (const file of programs) {
      const code = (await readFile(file, 'utf8')).replace(/\/\/.*$/gm, '');
      expect(code, file).not.toMatch(/\bcreateRequire\b|\brequire\s*\(/);
    }
  });
});
