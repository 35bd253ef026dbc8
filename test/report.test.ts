// Reports as their readers meet them: a CI system reading junit.xml, a reviewer reading summary.md, and
// a person opening report.html in a browser (headless Chromium, driven by playwright-core).
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { knownMarks, splitKnown } from '../harness/known-failures.ts';
import { ReportWriter } from '../harness/report/writer.ts';
import { EnvironmentCache, findPython, venvTarget } from '../harness/runtime/python-env.ts';
import { planJobs, runJobs } from '../harness/runner.ts';
import { loadScenarios, selectScenarios } from '../harness/scenarios.ts';
import { parseClientSpec } from '../harness/spec.ts';
import type { CaseResult } from '../harness/types.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
let dir: string;
let results: CaseResult[];

beforeAll(async () => {
  const scenarios = selectScenarios(await loadScenarios(), ['pool-exhaustion-after-close', 'pool-limits']);
  const cache = new EnvironmentCache(await findPython());
  const jobs = planJobs(scenarios, ['httpx==0.10.1', 'httpx==0.28.1'].map((s) => venvTarget(cache, parseClientSpec(s))));
  results = await runJobs(jobs, {});
  dir = await mkdtemp(join(tmpdir(), 'regress-report-'));
  const writer = new ReportWriter(dir, { id: 'test-run', startedAt: new Date().toISOString(), planned: jobs.length, command: 'test' });
  await writer.finish(results, false);
  // The same results as a run --known that accepts the old release's reproduction.
  const known = [{ scenario: 'pool-exhaustion-after-close', client: 'httpx<0.11', why: 'accepted in this test' }];
  const knownWriter = new ReportWriter(dir, { id: 'known-run', startedAt: new Date().toISOString(), planned: jobs.length, command: 'test --known' }, (rs) =>
    knownMarks(splitKnown(rs, known), 'known.json'),
  );
  await knownWriter.finish(results, false);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('report files', () => {
  test('results.json carries the --json schema and the run', async () => {
    const data = JSON.parse(await readFile(join(dir, 'test-run', 'results.json'), 'utf8'));
    expect(data.results).toHaveLength(4);
    expect(data.run).toMatchObject({ id: 'test-run', interrupted: false, planned: 4 });
  });

  test('junit.xml has one testcase per scenario × case × client; failures carry the evidence', async () => {
    const xml = await readFile(join(dir, 'test-run', 'junit.xml'), 'utf8');
    expect(xml.match(/<testcase /g)).toHaveLength(4);
    expect(xml).toMatch(/<testsuites name="regress" tests="4" failures="1" errors="0"/);
    const failure = /<failure type="reproduced" message="([^"]*)">([^<]*)<\/failure>/.exec(xml);
    expect(failure?.[1]).toMatch(/PoolTimeout/);
    expect(failure?.[2]).toMatch(/&quot;connections&quot;/);
  });

  test('summary.md is a pull-request-sized matrix', async () => {
    const md = await readFile(join(dir, 'test-run', 'summary.md'), 'utf8');
    expect(md).toMatch(/\| scenario\/case \| httpx==0.10.1 \| httpx==0.28.1 \|/);
    expect(md).toMatch(/\| pool-exhaustion-after-close\/reenter \| ❌ reproduced \| ✅ fixed \|/);
    expect(md.length).toBeLessThan(65_000);
  });
});

describe('report.html in a browser', () => {
  const available = existsSync(CHROMIUM);
  test('shows the coloured matrix and each cell\'s evidence on a click, offline', async ({ skip }) => {
    if (!available) {
      if (process.env.CI) throw new Error(`Chromium is required in CI and missing at ${CHROMIUM} (.ci/run installs Debian's chromium)`);
      skip(`Chromium not installed at ${CHROMIUM}: apt-get install chromium`);
    }
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const requests: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      await page.goto(`file://${join(dir, 'test-run', 'report.html')}`);

      const grid = page.getByRole('table', { name: 'verdict matrix' });
      await expect.poll(() => grid.locator('tbody tr').count()).toBe(2);
      const reproducedCell = grid.getByRole('row', { name: /pool-exhaustion-after-close\/reenter/ }).getByRole('button', { name: 'reproduced' });
      const fixedCell = grid.getByRole('row', { name: /pool-exhaustion-after-close\/reenter/ }).getByRole('button', { name: 'fixed' });
      const colour = (l: typeof fixedCell) => l.evaluate((b) => getComputedStyle(b.parentElement!).backgroundColor);
      expect(await colour(reproducedCell)).not.toBe(await colour(fixedCell));

      await expect.poll(() => page.locator('#detail').isVisible()).toBe(false);
      await reproducedCell.click();
      const detail = page.locator('#detail');
      expect(await detail.isVisible()).toBe(true);
      expect(await page.locator('#detail-title').textContent()).toBe('pool-exhaustion-after-close/reenter × httpx==0.10.1');
      expect(await page.locator('#detail-steps').textContent()).toContain('httpx.PoolTimeout');
      const timeline = page.getByRole('img', { name: 'app connection timeline' });
      expect(await timeline.isVisible()).toBe(true);
      // One bar per connection the server saw (2 for hard limit 2), plus one tick per request.
      expect(await timeline.locator('rect').count()).toBe(4);

      // Column headers show the releases that ran, read from the environments.
      expect(await grid.locator('thead th').nth(1).textContent()).toMatch(/^httpx==0\.10\.1httpx 0\.10\.1/);

      const shot = join(process.env.REGRESS_SCREENSHOT_DIR ?? dir, 'report.png');
      await page.screenshot({ path: shot, fullPage: true });
      expect((await stat(shot)).size).toBeGreaterThan(20_000);
      // Self-contained: the page asked for nothing but itself.
      expect(requests.filter((u) => !u.startsWith('file://'))).toEqual([]);

      // A run --known marks the accepted reproduction known, with the why in its evidence.
      await page.goto(`file://${join(dir, 'known-run', 'report.html')}`);
      const knownGrid = page.getByRole('table', { name: 'verdict matrix' });
      const knownCell = knownGrid.getByRole('row', { name: /pool-exhaustion-after-close\/reenter/ }).getByRole('button', { name: /reproduced/ });
      expect(await knownCell.textContent()).toBe('reproducedknown');
      expect(await page.locator('#counts').textContent()).toContain('1 reproduced (1 known, 0 new)');
      await knownCell.click();
      expect(await page.locator('#detail-reason').textContent()).toMatch(/^known failure, accepted: accepted in this test\. /);
    } finally {
      await browser.close();
    }
  });
});
