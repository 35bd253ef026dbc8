// The README catalogue: per scenario, the newest httpx and httpx2 verdicts at a glance.
import { expect, test } from 'vitest';
import { catalogueTable, versionTable } from '../harness/cli/tables-command.ts';
import { family } from '../harness/families.ts';
import type { CaseResult, Scenario, Verdict } from '../harness/types.ts';

const scenario = (id: string, cases: string[], status?: 'open-upstream'): Scenario =>
  ({
    meta: {
      id,
      title: id,
      ...(status ? { status } : {}),
      upstream: { issue: `https://github.com/encode/httpx/issues/1`, fix: [] },
      seedClaim: { firstFixed: '?', source: '?' },
      measured: { lastBroken: '0.1', firstFixed: '0.2' },
      failureSignature: '',
    },
    cases: cases.map((name) => ({ name })),
    programs: { httpx: `/x/${id}/clients/httpx.py` },
  }) as unknown as Scenario;

const result = (s: string, c: string, client: string, verdict: Verdict): CaseResult => ({
  scenario: s,
  case: c,
  client,
  installed: null,
  verdict,
  evidence: { reason: '', client: { steps: [], facts: {}, exitCode: 0, timedOut: false }, server: {} },
  durationMs: 0,
});

test('a scenario reproduces when any case does, and names the cases; all fixed reads fixed', () => {
  const table = catalogueTable(
    [scenario('a', ['x', 'y']), scenario('b', ['z'], 'open-upstream')],
    [
      result('a', 'x', 'httpx==0.28.1', 'fixed'),
      result('a', 'y', 'httpx==0.28.1', 'reproduced'),
      result('a', 'x', 'httpx2==2.16.2', 'fixed'),
      result('a', 'y', 'httpx2==2.16.2', 'fixed'),
      result('b', 'z', 'httpx==0.28.1', 'error'),
    ],
    ['httpx==0.28.1', 'httpx2==2.16.2'],
  );
  const rows = table.split('\n').filter((l) => l.startsWith('| ['));
  expect(rows[0]).toMatch(/^\| \[`a`\]\(scenarios\/a\/\) \| historic \| \[httpx #1\]\(.*\) \| `x`, `y` \| 0\.1 → 0\.2 \| ❌ reproduced \(y\) \| ✅ fixed \|$/);
  expect(rows[1]).toMatch(/\| open-upstream \|.*\| ⚠️ error \| — \|$/);
  expect(table).toMatch(/\| httpx 0\.28\.1 \| httpx2 2\.16\.2 \|/);
});

test('a version table does not depend on the order results come in (a merged run joins its shards in shard order)', () => {
  const s = scenario('a', ['x', 'y']);
  const installed = (node: string) => ({ python: '', packages: {}, module: 'undici', node }) as unknown as CaseResult['installed'];
  const rows = [
    { ...result('a', 'x', 'undici@5.0.0', 'reproduced'), installed: installed('18.20.8') },
    { ...result('a', 'y', 'undici@5.0.0', 'fixed'), installed: installed('18.20.8') },
    { ...result('a', 'x', 'undici@7.27.2', 'fixed'), installed: installed('19.8.1') },
    { ...result('a', 'y', 'undici@7.27.2', 'fixed'), installed: installed('19.8.1') },
  ];
  const members = [family('undici')];
  const table = versionTable(s, rows, ['undici@5.0.0', 'undici@7.27.2'], members);
  expect(versionTable(s, [...rows].reverse(), ['undici@5.0.0', 'undici@7.27.2'], members)).toBe(table);
  // The stamp names the first row's Node.
  expect(table).toContain('Node 18.20.8, ');
});
