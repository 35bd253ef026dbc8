// The machine-readable and pull-request forms of a run: results.json (the --json schema plus run
// metadata), junit.xml (one testcase per scenario × case × client) and summary.md.
import { type KnownMarks, markOf } from '../known-failures.ts';
import type { ShardInfo } from '../shard.ts';
import type { CaseResult, Verdict } from '../types.ts';

export interface RunInfo {
  id: string;
  startedAt: string;
  finishedAt?: string;
  /** True when the run was stopped before every case finished: the report holds what did. */
  interrupted: boolean;
  planned: number;
  command: string;
  host: { platform: string; node: string };
  /** A shard's report (`--shard K/N`): which shard, of how many, of which plan. */
  shard?: ShardInfo;
  /** A report `regress merge` joined: the plan, and the shards' own run ids in shard order. */
  merged?: { kind: ShardInfo['kind']; plan: string; count: number; shards: string[] };
}

export interface RunReport {
  run: RunInfo;
  results: CaseResult[];
  /** With `run --known`: which reproductions the file accepts (and why) and which are new. */
  known?: KnownMarks;
}

export function resultsJson(report: RunReport): string {
  return `${JSON.stringify({ results: report.results, run: report.run, ...(report.known ? { known: report.known } : {}) }, null, 2)}\n`;
}

export const SYMBOL: Record<Verdict, string> = { fixed: '✅', reproduced: '❌', 'not-applicable': '➖', error: '⚠️' };

/** Order for listings: what a gate's reader must see first. */
export const SEVERITY: Record<Verdict, number> = { reproduced: 0, error: 1, 'not-applicable': 2, fixed: 3 };

export function counts(results: CaseResult[]): Record<Verdict, number> {
  const c: Record<Verdict, number> = { fixed: 0, reproduced: 0, 'not-applicable': 0, error: 0 };
  for (const r of results) c[r.verdict] += 1;
  return c;
}

/** Rows (scenario/case) and columns (clients) in a stable order, with a lookup. */
export function matrix(results: CaseResult[]): {
  rows: string[];
  clients: string[];
  cell: (row: string, client: string) => CaseResult | undefined;
} {
  // Natural order, so httpx==0.9.0 comes before httpx==0.10.1 and columns do not depend on finishing order.
  const clients = [...new Set(results.map((r) => r.client))].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const rows = [...new Set(results.map((r) => `${r.scenario}/${r.case}`))].sort();
  const index = new Map(results.map((r) => [`${r.scenario}/${r.case}\u0000${r.client}`, r]));
  return { rows, clients, cell: (row, client) => index.get(`${row}\u0000${client}`) };
}

/**
 * The releases a column really ran, read from its environments: the packages every result of the column
 * installed at one version, the client under test first (`httpx 0.29.0`, `httpcore 1.0.9`, ...). A label
 * is the spec as typed (`httpx`), which says nothing of what it resolved to.
 */
export function columnReleases(results: CaseResult[], client: string): string[] {
  const column = results.filter((r) => r.client === client && r.installed);
  if (!column.length) return [];
  const first = column[0]!.installed!;
  const names = Object.keys(first.packages).filter((name) => {
    const version = first.packages[name];
    return version && column.every((r) => r.installed!.packages[name] === version);
  });
  const ordered = [...names.filter((n) => n === first.module), ...names.filter((n) => n !== first.module)];
  return ordered.map((name) => `${name} ${first.packages[name]}`);
}

/** `5 reproduced (3 known, 2 new)` with --known, `5 reproduced` without. */
function reproducedCount(report: RunReport): string {
  const reproduced = report.results.filter((r) => r.verdict === 'reproduced');
  if (!report.known) return `${reproduced.length} reproduced`;
  const known = reproduced.filter((r) => markOf(report.known, r)?.known).length;
  return `${reproduced.length} reproduced (${known} known, ${reproduced.length - known} new)`;
}

export function summaryMarkdown(report: RunReport): string {
  const { results, run } = report;
  const c = counts(results);
  const { rows, clients, cell } = matrix(results);
  const lines = [
    `## regress: ${results.length} result(s)${run.interrupted ? ` (interrupted: ${results.length} of ${run.planned} finished)` : ''}`,
    '',
    `${SYMBOL.reproduced} ${reproducedCount(report)} · ${SYMBOL.error} ${c.error} error · ${SYMBOL.fixed} ${c.fixed} fixed · ${SYMBOL['not-applicable']} ${c['not-applicable']} not-applicable`,
    '',
    `| scenario/case | ${clients.map(md).join(' | ')} |`,
    `|---|${clients.map(() => '---').join('|')}|`,
    `| *installed* | ${clients.map((cl) => md(columnReleases(results, cl).join(' · ') || '—')).join(' | ')} |`,
    ...rows.map((row) => `| ${md(row)} | ${clients.map((cl) => verdictCell(cell(row, cl), report)).join(' | ')} |`),
    '',
  ];
  const notable = results.filter((r) => r.verdict !== 'fixed').sort((a, b) => SEVERITY[a.verdict] - SEVERITY[b.verdict]);
  if (notable.length) {
    lines.push('<details><summary>Why (every verdict other than fixed)</summary>', '');
    for (const r of notable.slice(0, 200)) {
      const mark = markOf(report.known, r);
      const tag = !mark ? '' : mark.known ? 'known: ' : '**NEW**: ';
      const tail = !mark ? '' : mark.known ? ` (accepted: ${md(truncate(mark.why, 200))})` : mark.note ? ` (beyond the accepted measure: ${md(mark.note)})` : '';
      lines.push(`- ${SYMBOL[r.verdict]} ${tag}**${md(`${r.scenario}/${r.case}`)}** × \`${r.client}\`: ${md(truncate(r.evidence.reason, 300))}${tail}`);
    }
    lines.push('', '</details>', '');
  }
  if (report.known) {
    for (const e of report.known.unmatched) lines.push(`- known entry matched no result in this run: \`${md(e)}\``);
    for (const e of report.known.stale) lines.push(`- known failure no longer reproduces (remove it from \`${md(report.known.file)}\`): \`${md(e)}\``);
    if (report.known.unmatched.length || report.known.stale.length) lines.push('');
  }
  lines.push(`Run \`${run.id}\` · ${run.startedAt} · ${run.host.platform} · Node ${run.host.node}`, '');
  return lines.join('\n');
}

function verdictCell(r: CaseResult | undefined, report: RunReport): string {
  if (!r) return '—';
  const mark = markOf(report.known, r);
  return `${SYMBOL[r.verdict]} ${r.verdict}${!mark ? '' : mark.known ? ' (known)' : ' **NEW**'}`;
}

export function junitXml(report: RunReport): string {
  // With --known, an accepted reproduction is a skipped test (with the why), so the CI test view agrees
  // with the exit code: failures are exactly the reproductions that fail the run.
  const isKnown = (r: CaseResult): boolean => markOf(report.known, r)?.known === true;
  const tally = (rs: CaseResult[]) => {
    const c = counts(rs);
    const known = rs.filter(isKnown).length;
    return { failures: c.reproduced - known, errors: c.error, skipped: c['not-applicable'] + known };
  };
  const byScenario = new Map<string, CaseResult[]>();
  for (const r of report.results) byScenario.set(r.scenario, [...(byScenario.get(r.scenario) ?? []), r]);
  const t = tally(report.results);
  const seconds = (ms: number): string => (ms / 1000).toFixed(3);
  const total = report.results.reduce((n, r) => n + r.durationMs, 0);
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="regress" tests="${report.results.length}" failures="${t.failures}" errors="${t.errors}" skipped="${t.skipped}" time="${seconds(total)}">`,
  ];
  // Suites with reproductions first, then errors; inside a suite, reproduced and error cases first.
  const worst = (rs: CaseResult[]): number => Math.min(...rs.map((r) => SEVERITY[r.verdict]));
  for (const [scenario, unsorted] of [...byScenario].sort(([a, ra], [b, rb]) => worst(ra) - worst(rb) || a.localeCompare(b))) {
    const results = [...unsorted].sort((a, b) => SEVERITY[a.verdict] - SEVERITY[b.verdict]);
    const s = tally(results);
    out.push(
      `  <testsuite name="${xml(scenario)}" tests="${results.length}" failures="${s.failures}" errors="${s.errors}" skipped="${s.skipped}" time="${seconds(results.reduce((n, r) => n + r.durationMs, 0))}">`,
    );
    for (const r of results) {
      out.push(`    <testcase classname="${xml(`${r.scenario}.${r.case}`)}" name="${xml(`${r.case} × ${r.client}`)}" time="${seconds(r.durationMs)}">`);
      const evidence = xml(JSON.stringify(r.evidence, null, 2));
      const mark = markOf(report.known, r);
      if (mark?.known) out.push(`      <skipped message="${xml(`known failure, reproduced (accepted: ${mark.why}): ${r.evidence.reason}`)}">${evidence}</skipped>`);
      else if (r.verdict === 'reproduced') {
        const message = mark?.note ? `new: beyond the accepted measure (${mark.note}): ${r.evidence.reason}` : r.evidence.reason;
        out.push(`      <failure type="reproduced" message="${xml(message)}">${evidence}</failure>`);
      }
      if (r.verdict === 'error') out.push(`      <error type="error" message="${xml(r.evidence.reason)}">${evidence}</error>`);
      if (r.verdict === 'not-applicable') out.push(`      <skipped message="${xml(`not-applicable: ${r.evidence.reason}`)}"/>`);
      const installed = Object.entries(r.installed?.packages ?? {}).filter(([, v]) => v);
      out.push(
        '      <properties>',
        `        <property name="verdict" value="${r.verdict}"/>`,
        ...(mark ? [`        <property name="known" value="${xml(mark.known ? mark.why : 'no: new')}"/>`] : []),
        `        <property name="python" value="${xml(r.installed?.python ?? '')}"/>`,
        ...(r.installed?.node ? [`        <property name="node" value="${xml(r.installed.node)}"/>`] : []),
        ...installed.map(([k, v]) => `        <property name="installed.${xml(k)}" value="${xml(String(v))}"/>`),
        '      </properties>',
        '    </testcase>',
      );
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>', '');
  return out.join('\n');
}

/** Text safe inside XML (junit.xml, SVG): markup characters escaped, control characters XML forbids dropped. */
export function xml(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

function md(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
