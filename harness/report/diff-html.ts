// The diff's part of report.html, above the run's verdict matrix: the two sides (the input as given and
// what each side really installed), the versions that changed, and each cell's change with both sides'
// verdicts. Change kinds are rendered from the diff as it is (title, else the kind itself), so a kind
// added to harness/diff.ts shows without a change here. Rendered on the server, every text escaped.
import { CHANGE_ORDER, CHANGE_TITLE, type DiffCell, type VerdictDiff } from '../diff.ts';
import type { ReproductionMeasure } from '../types.ts';
import type { DiffSides } from './diff-summary.ts';
import { columnReleases, type RunReport } from './formats.ts';
import { escapeHtml as h } from './html.ts';

const title = (kind: string): string => (CHANGE_TITLE as Record<string, string>)[kind] ?? kind;
/** Unknown kinds first: a kind this module has not heard of is more likely news than noise. */
const rank = (kind: string): number => CHANGE_ORDER.indexOf(kind as DiffCell['kind']);

function sideBlock(name: string, side: DiffSides['base'], run: RunReport | null): string {
  const clients = side.clients
    .map((c) => {
      const releases = run ? columnReleases(run.results, c) : [];
      return `<li><span class="mono">${h(c)}</span>: ${releases.length ? h(releases.join(' · ')) : 'nothing installed'}</li>`;
    })
    .join('');
  return `<div class="diff-side"><h3>${name}: <span class="mono">${h(side.input)}</span></h3><ul>${clients}</ul></div>`;
}

function sideCell(side: DiffCell['base']): string {
  // A side may carry more than verdict and reason (a measure, once harness/diff.ts records one).
  const measure = (side as { measure?: ReproductionMeasure }).measure;
  const extra = measure ? `<br><span class="hint">${h(`${measure.value} ${measure.what}`)}</span>` : '';
  return `<td class="v-${h(side.verdict)}" title="${h(side.reason)}">${h(side.verdict)}${extra}</td>`;
}

export function diffSectionHtml(diff: VerdictDiff, sides: DiffSides, run: RunReport | null): string {
  const versions = diff.versions.length
    ? `<table id="diff-versions"><thead><tr><th>package</th><th>base</th><th>head</th></tr></thead><tbody>${diff.versions
        .map((v) => `<tr><td class="mono">${h(v.package)}</td><td>${h(v.base ?? '(none)')}</td><td>${h(v.head ?? '(none)')}</td></tr>`)
        .join('')}</tbody></table>`
    : '<p id="diff-versions">No installed version changed: both sides install the same releases.</p>';
  const cells = [...diff.cells].sort((a, b) => rank(a.kind) - rank(b.kind) || `${a.scenario}/${a.case}`.localeCompare(`${b.scenario}/${b.case}`));
  const rows = cells
    .map(
      (c) =>
        `<tr class="c-${h(c.kind)}"><td>${h(title(c.kind))}</td><th scope="row">${h(`${c.scenario}/${c.case}${c.module ? ` (${c.module})` : ''}`)}</th>${sideCell(c.base)}${sideCell(c.head)}<td><details><summary>why</summary><p><b>base</b> ${h(c.base.reason)}</p><p><b>head</b> ${h(c.head.reason)}</p></details></td></tr>`,
    )
    .join('\n');
  const tally = [...new Set(cells.map((c) => c.kind))].map((k) => `${cells.filter((c) => c.kind === k).length} ${title(k)}`).join(' · ');
  return `  <section id="diff">
    <h2>Diff: base → head</h2>
    ${sideBlock('base', sides.base, run)}
    ${sideBlock('head', sides.head, run)}
    <h3>Versions that changed</h3>
    ${versions}
    <h3>Each cell's change</h3>
    <p id="diff-tally">${h(tally || 'no cells')}</p>
    <table id="diff-cells"><thead><tr><th>change</th><th>scenario / case</th><th>base</th><th>head</th><th>evidence</th></tr></thead><tbody>
${rows}
    </tbody></table>
    <h3>Every verdict of the run</h3>
  </section>
`;
}
