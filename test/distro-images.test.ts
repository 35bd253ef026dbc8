// Debian's packaged requests and urllib3, judged by behaviour: the README's "Distro packages, judged by
// behaviour" table says, per CVE and per image, whether the packaged build behaves fixed or broken. This
// test reads that table and runs its rows inside the images built from Debian's packages, so the README
// cannot claim what the packages do not do. Outside CI, without an engine or the images, the image tests
// skip with one line saying why; in CI a skip is a failure (.ci/run starts dockerd and builds the images).
import { execa } from 'execa';
import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, test } from 'vitest';
import { ContainerPool, imageTarget } from '../harness/container/container-runtime.ts';
import { family } from '../harness/families.ts';
import { planJobs, runJobs } from '../harness/runner.ts';
import { programFor } from '../harness/scenario-families.ts';
import { loadScenarios, selectScenarios } from '../harness/scenarios.ts';
import type { CaseResult } from '../harness/types.ts';
import { containerReadiness } from './support/container-readiness.ts';

const root = `${import.meta.dirname}/..`;
const readme = await readFile(`${root}/README.md`, 'utf8');

interface Row {
  issue: string;
  scenario: string;
  case: string;
  family: string;
  image: string;
  expected: 'fixed' | 'reproduced';
}

interface Packaged {
  image: string;
  debian: Record<string, string>;
}

/** The lines between the README's distro markers, as table rows (cells trimmed). */
function tableRows(name: string): string[][] {
  const block = readme.split(`<!-- regress:distro:${name}:start -->`)[1]?.split(`<!-- regress:distro:${name}:end -->`)[0];
  if (!block) throw new Error(`README has no regress:distro:${name} markers`);
  return block
    .split('\n')
    .filter((l) => l.startsWith('|') && !/^\|\s*-/.test(l))
    .map((l) => l.slice(1, -1).split('|').map((c) => c.trim()));
}

/** The verdict table: one row per issue, and per image a "<suite> behaves" column saying **fixed** or **broken**. */
function verdictRows(): Row[] {
  const [header, ...body] = tableRows('verdicts');
  const suites = header!.flatMap((cell, i) => {
    const suite = /^(\w+) behaves$/.exec(cell)?.[1];
    return suite ? [{ i, image: `regress/app-python3-requests:${suite}` }] : [];
  });
  const where = header!.indexOf('Scenario / case (family)');
  return body.flatMap((cells) => {
    const located = /`([\w-]+)\/([\w-]+)`\s*\((\w+)\)/.exec(cells[where] ?? '');
    if (!located) throw new Error(`README distro row without \`scenario/case\` (family): ${cells.join(' | ')}`);
    return suites.flatMap(({ i, image }) => {
      const said = /\*\*(fixed|broken)\*\*/.exec(cells[i] ?? '')?.[1];
      if (!said) return [];
      return [{ issue: cells[0]!, scenario: located[1]!, case: located[2]!, family: located[3]!, image, expected: said === 'fixed' ? ('fixed' as const) : ('reproduced' as const) }];
    });
  });
}

/** The package table: per image, Debian's package versions (python3-requests, python3-urllib3). */
function packagedVersions(): Packaged[] {
  const [header, ...body] = tableRows('packages');
  return body.map((cells) => ({
    image: /`([^`]+)`/.exec(cells[0]!)![1]!,
    debian: Object.fromEntries(header!.slice(1).map((name, i) => [name.replace(/`/g, ''), cells[i + 1]!.replace(/`/g, '')])),
  }));
}

/** The upstream version inside a Debian version: 2.28.1+dfsg-1 -> 2.28.1, 1.26.12-1+deb12u4 -> 1.26.12. */
const upstreamOf = (debian: string) => debian.replace(/-[^-]+$/, '').replace(/\+dfsg.*$/, '').replace(/^\d+:/, '');

const rows = verdictRows();
const packaged = packagedVersions();
const images = [...new Set(rows.map((r) => r.image))];
const { notReady, requireReady } = await containerReadiness(images);
const key = (r: { scenario: string; case: string; family: string; image: string }) => `${r.image} ${r.family} ${r.scenario}/${r.case}`;

describe("Debian's python3-requests / python3-urllib3, judged by behaviour (README table)", () => {
  test('the README table names real scenarios, cases and families, and both images', async () => {
    const scenarios = await loadScenarios();
    expect(rows.length).toBeGreaterThan(0);
    expect(new Set(rows.map((r) => r.expected))).toEqual(new Set(['fixed', 'reproduced']));
    expect(images.sort()).toEqual(packaged.map((p) => p.image).sort());
    for (const row of rows) {
      const scenario = scenarios.find((s) => s.meta.id === row.scenario);
      expect(scenario, key(row)).toBeDefined();
      expect(scenario!.cases.map((c) => c.name), key(row)).toContain(row.case);
      expect(programFor(scenario!, family(row.family)), key(row)).toBeTruthy();
    }
  });

  let results = new Map<string, CaseResult>();
  const dpkg = new Map<string, string>();
  beforeAll(async () => {
    if (notReady) return;
    const scenarios = await loadScenarios();
    const pool = new ContainerPool();
    try {
      // One target per image and family (the same image runs as requests and, with a family override, as
      // urllib3). One group at a time, two cases at once: a broken build takes about 1 GiB per bomb case.
      const found: (readonly [string, CaseResult])[] = [];
      for (const group of Map.groupBy(rows, (r) => `${r.image} ${r.family}`).values()) {
        const { image, family: familyId } = group[0]!;
        const selected = selectScenarios(scenarios, [...new Set(group.map((r) => r.scenario))]);
        const wanted = new Set(group.map((r) => `${r.scenario}/${r.case}`));
        const jobs = planJobs(selected, [imageTarget(pool, image, 'python3', familyId)]).filter((j) => wanted.has(`${j.scenario.meta.id}/${j.case.name}`));
        for (const r of await runJobs(jobs, { concurrency: 2 })) found.push([`${image} ${familyId} ${r.scenario}/${r.case}`, r]);
      }
      results = new Map(found);
      // What Debian calls the installed packages, for the failure message when the archive has moved on.
      for (const image of images) {
        const { stdout } = await execa('docker', ['run', '--rm', '--network', 'none', image, 'dpkg-query', '-W', 'python3-requests', 'python3-urllib3']);
        dpkg.set(image, stdout.trim().replace(/\t/g, ' ').replace(/\n/g, ', '));
      }
    } finally {
      await pool.dispose();
    }
  }, 600_000);

  test.for(rows.map((r) => [key(r), r] as const))('%s', ([name, row], { skip }) => {
    requireReady(skip);
    const result = results.get(name);
    expect(result, `${name}: no result`).toBeDefined();
    const stated = packaged.find((p) => p.image === row.image)!.debian;
    const why = `${row.issue}: README says ${row.expected === 'fixed' ? 'fixed' : 'broken'} for ${JSON.stringify(stated)}; image now has ${dpkg.get(row.image)}; evidence: ${result!.evidence.reason}`;
    expect(result!.verdict, why).toBe(row.expected);
  });

  test('the images hold the upstream versions the table names (what version scanners read)', ({ skip }) => {
    requireReady(skip);
    for (const { image, debian } of packaged) {
      const seen = [...results.values()].find((r) => r.installed?.runtime === `container ${image}`)?.installed?.packages;
      expect(seen, image).toBeDefined();
      expect(seen!.urllib3, image).toBe(upstreamOf(debian['python3-urllib3']!));
      const asRequests = [...results.entries()].find(([k]) => k.startsWith(`${image} requests `))?.[1].installed?.packages;
      if (asRequests) expect(asRequests.requests, image).toBe(upstreamOf(debian['python3-requests']!));
    }
  });
});

describe('--image-family', () => {
  const regress = (args: string[]) => execa(process.execPath, ['bin/regress.js', ...args], { cwd: root, reject: false });
  test.for([
    [['--runtime', 'container', '--image', 'regress/app-python3-requests:bookworm', '--image-family', 'nope'], /^regress: --image-family: unknown client family 'nope' \(known: .*urllib3/],
    [['--image-family', 'urllib3'], /^regress: --image-family needs --runtime container --image/],
    [['--runtime', 'container', '--python', '3.13', '--client', 'urllib3==2.2.2', '--image-family', 'urllib3'], /^regress: --image-family needs --image/],
  ] as const)('bad input %j: exit 2 with one clear line, before any engine is asked', async ([args, message]) => {
    const { exitCode, stderr } = await regress(['run', ...args, '--no-report']);
    expect(exitCode).toBe(2);
    const lines = stderr.split('\n').filter((l) => l.trim() && !l.startsWith('['));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
  });
});
