// The machine-readable and pull-request forms of a run: results.json (the --json schema plus run
// metadata), junit.xml (one testcase per scenario × case × client) and summary.md.
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
}

export interface RunReport {
  run: RunInfo;
  results: CaseResult[];
}

export function resultsJson(report: RunReport): string {
  return `${JSON.stringify({ results: report.results, run: report.run }, null, 2)}\n`;
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

export function summaryMarkdown(report: RunReport): string {
  const { results, run } = report;
  const c = counts(results);
  const { rows, clients, cell } = matrix(results);
  const lines = [
    `## regress: ${results.length} result(s)${run.interrupted ? ` (interrupted: ${results.length} of ${run.planned} finished)` : ''}`,
    '',
    `${SYMBOL.reproduced} ${c.reproduced} reproduced · ${SYMBOL.error} ${c.error} error · ${SYMBOL.fixed} ${c.fixed} fixed · ${SYMBOL['not-applicable']} ${c['not-applicable']} not-applicable`,
    '',
    `| scenario/case | ${clients.map(md).join(' | ')} |`,
    `|---|${clients.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${md(row)} | ${clients.map((cl) => verdictCell(cell(row, cl))).join(' | ')} |`),
    '',
  ];
  const notable = results.filter((r) => r.verdict !== 'fixed').sort((a, b) => SEVERITY[a.verdict] - SEVERITY[b.verdict]);
  if (notable.length) {
    lines.push('<details><summary>Why (every verdict other than fixed)</summary>', '');
    for (const r of notable.slice(0, 200)) {
      lines.push(`- ${SYMBOL[r.verdict]} **${md(`${r.scenario}/${r.case}`)}** × \`${r.client}\`: ${md(truncate(r.evidence.reason, 300))}`);
    }
    lines.push('', '</details>', '');
  }
  lines.push(`Run \`${run.id}\` · ${run.startedAt} · ${run.host.platform} · Node ${run.host.node}`, '');
  return lines.join('\n');
}

function verdictCell(r: CaseResult | undefined): string {
  return r ? `${SYMBOL[r.verdict]} ${r.verdict}` : '—';
}

export function junitXml(report: RunReport): string {
  const byScenario = new Map<string, CaseResult[]>();
  for (const r of report.results) byScenario.set(r.scenario, [...(byScenario.get(r.scenario) ?? []), r]);
  const c = counts(report.results);
  const seconds = (ms: number): string => (ms / 1000).toFixed(3);
  const total = report.results.reduce((n, r) => n + r.durationMs, 0);
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="regress" tests="${report.results.length}" failures="${c.reproduced}" errors="${c.error}" skipped="${c['not-applicable']}" time="${seconds(total)}">`,
  ];
  // Suites with reproductions first, then errors; inside a suite, reproduced and error cases first.
  const worst = (rs: CaseResult[]): number => Math.min(...rs.map((r) => SEVERITY[r.verdict]));
  for (const [scenario, unsorted] of [...byScenario].sort(([a, ra], [b, rb]) => worst(ra) - worst(rb) || a.localeCompare(b))) {
    const results = [...unsorted].sort((a, b) => SEVERITY[a.verdict] - SEVERITY[b.verdict]);
    const s = counts(results);
    out.push(
      `  <testsuite name="${xml(scenario)}" tests="${results.length}" failures="${s.reproduced}" errors="${s.error}" skipped="${s['not-applicable']}" time="${seconds(results.reduce((n, r) => n + r.durationMs, 0))}">`,
    );
    for (const r of results) {
      out.push(`    <testcase classname="${xml(`${r.scenario}.${r.case}`)}" name="${xml(`${r.case} × ${r.client}`)}" time="${seconds(r.durationMs)}">`);
      const evidence = xml(JSON.stringify(r.evidence, null, 2));
      if (r.verdict === 'reproduced') out.push(`      <failure type="reproduced" message="${xml(r.evidence.reason)}">${evidence}</failure>`);
      if (r.verdict === 'error') out.push(`      <error type="error" message="${xml(r.evidence.reason)}">${evidence}</error>`);
      if (r.verdict === 'not-applicable') out.push(`      <skipped message="${xml(`not-applicable: ${r.evidence.reason}`)}"/>`);
      const installed = Object.entries(r.installed?.packages ?? {}).filter(([, v]) => v);
      out.push(
        '      <properties>',
        `        <property name="verdict" value="${r.verdict}"/>`,
        `        <property name="python" value="${xml(r.installed?.python ?? '')}"/>`,
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
