// The soak report: the samples plotted as inline SVG in one offline report.html, beside results.json,
// junit.xml and summary.md (no processes needed: a made-up soak result).
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { soakHtml, writeSoakReport } from '../harness/soak/report.ts';
import { type SoakPoint, type SoakResult, soakVerdict } from '../harness/soak/run-soak.ts';

const points: SoakPoint[] = Array.from({ length: 12 }, (_, k) => ({
  iteration: k + 1,
  t: k * 1.5,
  verdict: 'reproduced',
  fds: 8 + 2 * (k + 1),
  tcp: 2 * (k + 1),
  unclosed: 0,
  serverOpen: 2 * (k + 1),
  poolConnections: null,
  objects: 336,
  rssKb: 30000 + k,
}));
const judged = soakVerdict({
  points,
  records: points.map((p) => ({ iteration: p.iteration, status: 'ok' as const, steps: [], facts: {}, sample: {} as never })),
  iterationVerdicts: { reproduced: 12 },
  firstOf: { reproduced: { iteration: 1, reason: 'stream 4 <raised> PoolTimeout' } },
});
const result: SoakResult = {
  scenario: 'stream-double-cancel',
  case: 'double-cancel',
  client: 'httpx==0.20.0',
  installed: null,
  planned: { iterations: 12 },
  ...judged,
  iterations: 12,
  points,
  baseline: null,
  iterationVerdicts: { reproduced: 12 },
  firstOf: { reproduced: { iteration: 1, reason: 'stream 4 <raised> PoolTimeout' } },
  objectGrowth: [{ type: 'socket.socket', from: 10, to: 34 }],
  durationMs: 18_000,
  interrupted: false,
};
const run = { id: 'test-run', startedAt: '2026-11-22T00:00:00Z', interrupted: false, planned: 1, command: 'regress soak', host: { platform: 'linux-x64', node: 'v24' } };

test('the samples are plotted as inline SVG: one panel per measured metric, growing ones in red, nothing fetched', () => {
  expect(judged.verdict).toBe('leak');
  const html = soakHtml({ run, result });
  const panels = [...html.matchAll(/<svg [^>]*data-metric="([a-zA-Z]+)"[\s\S]*?<\/svg>/g)];
  // poolConnections has no value in any sample: no panel for it.
  expect(panels.map((m) => m[1])).toEqual(['fds', 'tcp', 'unclosed', 'serverOpen', 'objects', 'rssKb']);
  const tcp = panels.find((m) => m[1] === 'tcp')![0];
  // One path vertex per iteration, drawn in the growing colour, and a tooltip per point.
  const path = /<path d="([^"]+)"[^>]*stroke="#c62828"/.exec(tcp)![1]!;
  expect(path.split(' ')).toHaveLength(12);
  expect(tcp.match(/<circle /g)).toHaveLength(12);
  expect(tcp).toContain('iteration 12: 24');
  // The flat metric is blue; the warm-up is shaded.
  expect(panels.find((m) => m[1] === 'objects')![0]).toContain('stroke="#1565c0"');
  expect(html).toMatch(/warm-up: 3 iteration\(s\)/);
  // Offline: no script, no external resource (the SVG namespace is an identifier, not a fetch).
  expect(html).not.toMatch(/<script|<link|src=|url\(/i);
  expect(html.replace(/xmlns="http:\/\/www\.w3\.org\/2000\/svg"/g, '')).not.toMatch(/https?:/);
  // Text from the run is escaped.
  expect(html).toContain('stream 4 &lt;raised&gt; PoolTimeout');
});

test('the report folder holds the four files, written with the verdict', async () => {
  const root = await mkdtemp(join(tmpdir(), 'regress-soak-report-'));
  try {
    const dir = await writeSoakReport(root, { run, result });
    expect((await readdir(dir)).sort()).toEqual(['junit.xml', 'report.html', 'results.json', 'summary.md']);
    expect(JSON.parse(await readFile(join(dir, 'results.json'), 'utf8')).soak.verdict).toBe('leak');
    expect(await readFile(join(dir, 'junit.xml'), 'utf8')).toMatch(/failures="1"[\s\S]*<failure type="leak"/);
    expect(await readFile(join(dir, 'summary.md'), 'utf8')).toMatch(/❌ leak — stream-double-cancel\/double-cancel × httpx==0\.20\.0/);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
