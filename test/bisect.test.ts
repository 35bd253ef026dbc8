// The release-bisection algorithm and the index parsing it stands on. Outcomes here come from a table,
// not a client: this checks the search itself (probe counts, skips, non-monotonic histories).
import { describe, expect, test } from 'vitest';
import { bisectReleases } from '../harness/bisect.ts';
import { parseSimplePage, selectReleases, seriesEnds } from '../harness/package-index.ts';
import type { Verdict } from '../harness/types.ts';

const versions = Array.from({ length: 40 }, (_, i) => `0.${10 + Math.floor(i / 4)}.${i % 4}`);
const history = (fn: (v: string, i: number) => Verdict) => async (v: string) => ({ verdict: fn(v, versions.indexOf(v)), reason: '' });

describe('bisectReleases', () => {
  test('finds the first fixed release within ⌈log2 N⌉ + 2 search probes', async () => {
    for (const boundary of [1, 7, 20, 39]) {
      const report = await bisectReleases(versions, history((_, i) => (i < boundary ? 'reproduced' : 'fixed')));
      expect(report.firstFixed).toBe(versions[boundary]);
      expect(report.lastBroken).toBe(versions[boundary - 1]);
      expect(report.searchProbes).toBeLessThanOrEqual(report.budget);
      expect(report.monotonic).toBe(true);
    }
  });

  test('skips releases that cannot be tested, as git bisect does', async () => {
    const report = await bisectReleases(
      versions,
      history((_, i) => (i < 3 || i === 19 || i === 20 ? 'error' : i < 21 ? 'reproduced' : 'fixed')),
    );
    expect(report.firstFixed).toBe(versions[21]);
    expect(report.lastBroken).toBe(versions[18]);
    expect(report.probes.filter((p) => p.outcome === 'skip').map((p) => p.version)).toEqual(
      expect.arrayContaining([versions[0], versions[1], versions[2]]),
    );
  });

  test('flags a fixed island inside the broken range and still reports the last fix', async () => {
    // Like keepalive-expiry: fixed in 0.13.0–0.13.2, broken again from 0.13.3, fixed for good at 0.17.0.
    const verdict = (v: string): Verdict => (v >= '0.13.0' && v <= '0.13.2') || v >= '0.17.0' ? 'fixed' : 'reproduced';
    const report = await bisectReleases(versions, history(verdict), { sample: seriesEnds });
    expect(report.firstFixed).toBe('0.17.0');
    expect(report.monotonic).toBe(false);
    expect(report.anomalies[0]).toMatchObject({ from: '0.13.0', to: '0.13.2', outcome: 'fixed' });
  });

  test('finds a one-release window between fixed releases (httpx 0.28.0 alone, say)', async () => {
    const report = await bisectReleases(versions, history((v) => (v === '0.19.0' ? 'reproduced' : 'fixed')), { sample: seriesEnds });
    expect(report.firstFixed).toBe('0.19.1');
    expect(report.lastBroken).toBe('0.19.0');
    expect(report.monotonic).toBe(false);
    expect(report.anomalies[0]).toMatchObject({ from: '0.10.0', to: '0.18.3', outcome: 'fixed' });
  });

  test('finds the release that introduced a regression (oldest fixed, newest reproduced)', async () => {
    const report = await bisectReleases(versions, history((_, i) => (i < 23 ? 'fixed' : 'reproduced')), { sample: seriesEnds });
    expect(report.introducedIn).toBe(versions[23]);
    expect(report.lastGood).toBe(versions[22]);
    expect(report.firstFixed).toBeUndefined();
    expect(report.monotonic).toBe(true);
  });

  test('says why it cannot bisect', async () => {
    expect((await bisectReleases(versions, history(() => 'fixed'))).problem).toMatch(/already fixed/);
    expect((await bisectReleases(versions, history(() => 'reproduced'))).problem).toMatch(/still reproduces/);
    expect((await bisectReleases(versions, history(() => 'error'))).problem).toMatch(/could be tested/);
  });
});

describe('package index pages', () => {
  const page = `<!DOCTYPE html><html><body>
    <a href="x/demo-1.0.0.tar.gz#sha256=1" data-requires-python="&gt;=3.8">demo-1.0.0.tar.gz</a>
    <a href="x/demo-1.0.0-py3-none-any.whl#sha256=2">demo-1.0.0-py3-none-any.whl</a>
    <a href="x/demo-1.1.0-py3-none-any.whl#sha256=3" data-yanked="broken build">demo-1.1.0-py3-none-any.whl</a>
    <a href="x/demo-1.2.0rc1-py3-none-any.whl#sha256=4">demo-1.2.0rc1-py3-none-any.whl</a>
    <a href="x/demo-1.10.0-py3-none-any.whl#sha256=5">demo-1.10.0-py3-none-any.whl</a>
    <a href="x/other-9.0.tar.gz">other-9.0.tar.gz</a>
  </body></html>`;

  test('versions in PEP 440 order, with yanked, pre-release and Requires-Python marks', () => {
    const releases = parseSimplePage(page, 'demo');
    expect(releases.map((r) => r.version)).toEqual(['1.0.0', '1.1.0', '1.2.0rc1', '1.10.0']);
    expect(releases.find((r) => r.version === '1.1.0')?.yanked).toBe(true);
    expect(releases.find((r) => r.version === '1.2.0rc1')?.prerelease).toBe(true);
    expect(releases[0]?.requiresPython).toBe('>=3.8');
  });

  test('pre-releases and yanked releases are left out unless asked for', () => {
    const releases = parseSimplePage(page, 'demo');
    expect(selectReleases(releases, {})).toEqual(['1.0.0', '1.10.0']);
    expect(selectReleases(releases, { includePrereleases: true, includeYanked: true, from: '1.1' })).toEqual(['1.1.0', '1.2.0rc1', '1.10.0']);
  });
});
