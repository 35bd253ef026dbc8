// A soak's report folder, in the forms a run writes (harness/report/): results.json, junit.xml, summary.md
// and one offline report.html with the samples as inline SVG charts. Written atomically, results.json last.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileWhole } from '../atomic-file.ts';
import { type RunInfo, xml as esc } from '../report/formats.ts';
import { METRICS } from './samples.ts';
import type { SoakResult } from './run-soak.ts';
import { soakChart } from './svg-chart.ts';
import { describeTrend } from './trend.ts';

export interface SoakReport {
  run: RunInfo;
  result: SoakResult;
}

const SYMBOL = { leak: '❌', reproduced: '❌', fixed: '✅', 'not-applicable': '➖', error: '⚠️' } as const;

export function soakJson(report: SoakReport): string {
  return `${JSON.stringify({ soak: report.result, run: report.run }, null, 2)}\n`;
}

function perIteration(r: SoakResult): string {
  const parts = Object.entries(r.iterationVerdicts).map(([v, n]) => `${v} ${n}/${r.iterations}`);
  return parts.length ? parts.join(', ') : '—';
}

function trendRows(r: SoakResult): string[] {
  return r.trends.map(
    (t) =>
      `| ${METRICS[t.metric].label} | ${t.slope >= 0 ? '+' : ''}${t.slope.toFixed(3)} | ${t.warmupLevel} | ${t.finalLevel} | ${t.judged ? (t.grows ? '**grows**' : 'flat') : 'not judged'} |`,
  );
}

export function soakMarkdown(report: SoakReport): string {
  const r = report.result;
  const what = r.planned.iterations ? `${r.planned.iterations} iterations` : `${r.planned.durationS} s`;
  return [
    `## regress soak: ${SYMBOL[r.verdict]} ${r.verdict} — ${r.scenario}/${r.case} × ${r.client}`,
    '',
    `${r.iterations} iteration(s) of ${what} asked${report.run.interrupted ? ' (interrupted)' : ''}, warm-up ${r.warmup}, ${(r.durationMs / 1000).toFixed(1)} s; per iteration (the case's own judge): ${perIteration(r)}`,
    '',
    r.reason,
    '',
    '| metric | slope per iteration | after warm-up | at the end | |',
    '|---|---|---|---|---|',
    ...trendRows(r),
    '',
  ].join('\n');
}

export function soakJunit(report: SoakReport): string {
  const r = report.result;
  const failures = r.verdict === 'leak' || r.verdict === 'reproduced' ? 1 : 0;
  const errors = r.verdict === 'error' ? 1 : 0;
  const skipped = r.verdict === 'not-applicable' ? 1 : 0;
  const seconds = (r.durationMs / 1000).toFixed(3);
  const body = esc(JSON.stringify({ trends: r.trends, iterationVerdicts: r.iterationVerdicts, points: r.points }, null, 2));
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="regress soak" tests="1" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${seconds}">`,
    `  <testsuite name="${esc(r.scenario)}" tests="1" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${seconds}">`,
    `    <testcase classname="${esc(`soak.${r.scenario}.${r.case}`)}" name="${esc(`${r.case} × ${r.client}`)}" time="${seconds}">`,
    ...(failures ? [`      <failure type="leak" message="${esc(r.reason)}">${body}</failure>`] : []),
    ...(errors ? [`      <error type="error" message="${esc(r.reason)}">${body}</error>`] : []),
    ...(skipped ? [`      <skipped message="${esc(`not-applicable: ${r.reason}`)}"/>`] : []),
    '      <properties>',
    `        <property name="verdict" value="${r.verdict}"/>`,
    `        <property name="iterations" value="${r.iterations}"/>`,
    ...Object.entries(r.installed?.packages ?? {})
      .filter(([, v]) => v)
      .map(([k, v]) => `        <property name="installed.${esc(k)}" value="${esc(String(v))}"/>`),
    '      </properties>',
    '    </testcase>',
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

export function soakHtml(report: SoakReport): string {
  const r = report.result;
  const colour = { leak: '#c62828', reproduced: '#c62828', fixed: '#2e7d32', 'not-applicable': '#9e9d24', error: '#6a1b9a' }[r.verdict];
  const growing = r.trends.filter((t) => t.grows).map(describeTrend);
  const objectRows = r.objectGrowth.map((g) => `<tr><td>${esc(g.type)}</td><td>${g.from}</td><td>${g.to}</td></tr>`).join('');
  const sampleRows = r.points
    .map(
      (p) =>
        `<tr><td>${p.iteration}</td><td>${p.t}</td><td>${p.verdict ?? ''}</td><td>${p.fds}</td><td>${p.tcp}</td><td>${p.unclosed}</td><td>${p.serverOpen ?? ''}</td><td>${p.poolConnections ?? ''}</td><td>${p.objects}</td><td>${p.rssKb ?? ''}</td></tr>`,
    )
    .join('');
  const firsts = Object.entries(r.firstOf)
    .map(([v, f]) => `<li><b>${esc(v)}</b> first at iteration ${f!.iteration}: ${esc(f!.reason)}</li>`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>regress soak: ${esc(r.scenario)}/${esc(r.case)} × ${esc(r.client)}</title>
<style>
body{font-family:sans-serif;margin:1.5em;max-width:1200px}
.verdict{display:inline-block;padding:.2em .6em;color:#fff;background:${colour};border-radius:4px;font-weight:bold}
.charts{display:flex;flex-wrap:wrap;gap:12px;margin:1em 0}
.soak-chart{border:1px solid #ddd;background:#fff}
table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ddd;padding:2px 6px;text-align:right}
td:first-child{text-align:left}
details{margin:1em 0}
</style></head><body>
<h1>regress soak <span class="verdict">${esc(r.verdict)}</span></h1>
<p><b>${esc(r.scenario)}/${esc(r.case)}</b> × <b>${esc(r.client)}</b> — ${r.iterations} iteration(s)${report.run.interrupted ? ' (interrupted)' : ''}, warm-up ${r.warmup} (shaded), ${(r.durationMs / 1000).toFixed(1)} s; run ${esc(report.run.id)}</p>
<p>${esc(r.reason)}</p>
${growing.length ? `<p><b>Growing:</b> ${growing.map(esc).join('; ')}</p>` : ''}
<p>Per iteration, by the case's own judge: ${esc(perIteration(r))}</p>
${firsts ? `<ul>${firsts}</ul>` : ''}
<div class="charts">
${soakChart(r.points, r.warmup, r.trends)}
</div>
${objectRows ? `<details open><summary>Object types that changed from the end of the warm-up to the end</summary><table><tr><th>type</th><th>after warm-up</th><th>at the end</th></tr>${objectRows}</table></details>` : ''}
<details><summary>Samples (${r.points.length})</summary>
<table><tr><th>iteration</th><th>t (s)</th><th>verdict</th><th>fds</th><th>TCP</th><th>unclosed (cum.)</th><th>server open</th><th>pool conns</th><th>objects</th><th>RSS kB</th></tr>${sampleRows}</table></details>
<details><summary>Installed</summary><pre>${esc(JSON.stringify(r.installed, null, 2))}</pre></details>
<p><small>${esc(report.run.command)} · ${esc(report.run.startedAt)} · ${esc(report.run.host.platform)} node ${esc(report.run.host.node)}</small></p>
</body></html>
`;
}

/** Write the four files into `<root>/<run id>/`; returns the folder. */
export async function writeSoakReport(root: string, report: SoakReport): Promise<string> {
  const dir = join(root, report.run.id);
  await mkdir(dir, { recursive: true });
  await Promise.all([
    writeFileWhole(join(dir, 'junit.xml'), soakJunit(report)),
    writeFileWhole(join(dir, 'summary.md'), soakMarkdown(report)),
    writeFileWhole(join(dir, 'report.html'), soakHtml(report)),
  ]);
  await writeFileWhole(join(dir, 'results.json'), soakJson(report));
  return dir;
}
