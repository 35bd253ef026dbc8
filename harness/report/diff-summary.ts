// The forms of a base → head diff: a plain-text table for the terminal, summary.md for a pull-request
// comment or job summary (the run's own verdict matrix folded in below), and diff.json for tools.
import { CHANGE_ORDER, CHANGE_TITLE, type DiffCell, regressed, type SideCell, type VerdictDiff } from '../diff.ts';
import type { Verdict } from '../types.ts';
import { type RunReport, SYMBOL, summaryMarkdown, truncate } from './formats.ts';

export interface DiffSides {
  base: { input: string; clients: string[] };
  head: { input: string; clients: string[] };
}

const symbol = (v: Verdict | 'missing'): string => (v === 'missing' ? '—' : SYMBOL[v]);
const row = (c: DiffCell): string => `${c.scenario}/${c.case}${c.module ? ` (${c.module})` : ''}`;
/** A side's verdict, with how badly it failed when its judge measured it: `reproduced (8 pool slots leaked)`. */
const verdictOf = (s: SideCell): string => (s.measure ? `${s.verdict} (${s.measure.value} ${s.measure.what})` : s.verdict);
/** Why a cell is `worse`: both sides' measures and the tolerance they were compared with. */
const worseBy = (c: DiffCell): string =>
  `${c.head.measure!.what}: ${c.base.measure!.value} → ${c.head.measure!.value} (tolerance ${Math.max(c.base.measure!.tolerance, c.head.measure!.tolerance)})`;

/** Changed cells (and those still reproduced) in reading order; unchanged ones are only counted. */
export function listedCells(diff: VerdictDiff): DiffCell[] {
  return diff.cells
    .filter((c) => c.kind !== 'unchanged')
    .sort((a, b) => CHANGE_ORDER.indexOf(a.kind) - CHANGE_ORDER.indexOf(b.kind) || row(a).localeCompare(row(b)));
}

function versionLine(diff: VerdictDiff): string {
  return diff.versions.length
    ? diff.versions.map((v) => `${v.package} ${v.base ?? '(none)'} → ${v.head ?? '(none)'}`).join(', ')
    : 'none (both sides install the same versions)';
}

function verdictLine(diff: VerdictDiff): string {
  const still = diff.cells.filter((c) => c.kind === 'still-reproduced').length;
  const stillNote = still ? ` (${still} still reproduced on both sides)` : '';
  const worse = diff.cells.filter((c) => c.kind === 'worse').length;
  const back = diff.cells.some((c) => c.kind === 'brought-back' || c.kind === 'newly-reproduced');
  if (back) return `the bump brings back a documented failure${worse ? ` and makes ${worse} reproduced failure(s) worse` : ''}`;
  if (regressed(diff)) return `the bump makes ${worse} reproduced failure(s) worse${stillNote}`;
  const changed = diff.cells.filter((c) => c.kind !== 'unchanged' && c.kind !== 'still-reproduced').length;
  return `${changed ? 'nothing brought back' : 'no verdict changed'}${stillNote}`;
}

export function diffText(diff: VerdictDiff, sides: DiffSides): string {
  const lines = [`regress diff: base ${sides.base.input} → head ${sides.head.input}`, `versions changed: ${versionLine(diff)}`, ''];
  const listed = listedCells(diff);
  if (listed.length) {
    const header = ['change', 'scenario/case', 'base', 'head'];
    const body = listed.map((c) => [CHANGE_TITLE[c.kind], row(c), verdictOf(c.base), verdictOf(c.head)]);
    const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
    const fmt = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
    lines.push(fmt(header), widths.map((w) => '-'.repeat(w)).join('  '));
    for (const [i, c] of listed.entries()) {
      lines.push(fmt(body[i]!));
      // Evidence from both sides for every cell whose verdict moved.
      if (c.kind === 'worse') lines.push(`    ${worseBy(c)}`);
      if (c.kind !== 'still-reproduced') {
        lines.push(`    ${c.base.client}: ${truncate(c.base.reason, 240)}`, `    ${c.head.client}: ${truncate(c.head.reason, 240)}`);
      }
    }
    lines.push('');
  }
  const unchanged = diff.cells.filter((c) => c.kind === 'unchanged').length;
  lines.push(`${unchanged} cell(s) unchanged; ${verdictLine(diff)}`);
  return lines.join('\n');
}

const md = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function diffMarkdown(diff: VerdictDiff, sides: DiffSides, run: RunReport | null): string {
  const listed = listedCells(diff);
  const unchanged = diff.cells.filter((c) => c.kind === 'unchanged').length;
  const head = regressed(diff) ? `${SYMBOL.reproduced} ` : '';
  const lines = [
    `## ${head}regress diff: ${verdictLine(diff)}`,
    '',
    `**base** \`${md(sides.base.input)}\` → **head** \`${md(sides.head.input)}\``,
    '',
    `Versions changed: ${diff.versions.length ? diff.versions.map((v) => `\`${v.package}\` ${v.base ?? '(none)'} → ${v.head ?? '(none)'}`).join(', ') : 'none'}`,
    '',
  ];
  if (listed.length) {
    lines.push('| change | scenario/case | base | head |', '|---|---|---|---|');
    for (const c of listed) lines.push(`| ${CHANGE_TITLE[c.kind]} | ${md(row(c))} | ${symbol(c.base.verdict)} ${md(verdictOf(c.base))} | ${symbol(c.head.verdict)} ${md(verdictOf(c.head))} |`);
    lines.push('');
    const moved = listed.filter((c) => c.kind !== 'still-reproduced');
    if (moved.length) {
      lines.push('<details><summary>Evidence from both sides</summary>', '');
      for (const c of moved) {
        lines.push(`- **${md(row(c))}** (${CHANGE_TITLE[c.kind]}${c.kind === 'worse' ? `: ${md(worseBy(c))}` : ''})`);
        lines.push(`  - \`${md(c.base.client)}\`: ${md(truncate(c.base.reason, 400))}`);
        lines.push(`  - \`${md(c.head.client)}\`: ${md(truncate(c.head.reason, 400))}`);
      }
      lines.push('', '</details>', '');
    }
  }
  lines.push(`${unchanged} cell(s) unchanged.`, '');
  if (run) {
    lines.push('<details><summary>Every verdict of this run</summary>', '', summaryMarkdown(run).replace(/^## /, '### '), '</details>', '');
  }
  return lines.join('\n');
}

export function diffJson(diff: VerdictDiff, sides: DiffSides, exitCode: number): string {
  const listed = listedCells(diff);
  return `${JSON.stringify(
    {
      base: sides.base,
      head: sides.head,
      versions: diff.versions,
      changes: listed.filter((c) => c.kind !== 'still-reproduced'),
      stillReproduced: listed.filter((c) => c.kind === 'still-reproduced'),
      unchanged: diff.cells.filter((c) => c.kind === 'unchanged').length,
      exitCode,
    },
    null,
    2,
  )}\n`;
}
