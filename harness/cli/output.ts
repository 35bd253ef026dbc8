// What a person sees: progress on stderr while environments install and cases finish, and a verdict
// table (scenario/case rows × client columns) at the end.
import { matrix } from '../report/formats.ts';
import type { RunEvent } from '../runner.ts';
import type { CaseResult, Verdict } from '../types.ts';
import { runtimeLabel } from '../runtime-label.ts';

const useColour = process.stdout.isTTY && !process.env.NO_COLOR;
const COLOURS: Record<Verdict, string> = { fixed: '32', reproduced: '31', 'not-applicable': '33', error: '35' };

export function paint(verdict: Verdict): string {
  return useColour ? `\u001b[${COLOURS[verdict]}m${verdict}\u001b[0m` : verdict;
}

export function progressPrinter(write: (line: string) => void = (l) => process.stderr.write(`${l}\n`)) {
  return (event: RunEvent): void => {
    switch (event.type) {
      case 'env-start':
        write(`[env] ${event.client}: ${event.message}…`);
        break;
      case 'env-done': {
        const p = event.prepared.installed.packages;
        const what = Object.entries(p)
          .filter(([, v]) => v)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ');
        const how = event.prepared.created ? `ready in ${(event.prepared.durationMs / 1000).toFixed(1)} s` : 'cached';
        // Metadata says a version is installed; only the import says the client can run.
        const failed = event.prepared.installed.importError;
        const importNote = failed ? `, but import ${event.prepared.installed.module} FAILED: ${failed}` : '';
        write(`[env] ${event.client}: ${how}${importNote} (${runtimeLabel(event.prepared.installed)}; ${what})`);
        break;
      }
      case 'env-failed':
        write(`[env] ${event.client}: FAILED: ${event.error.message}`);
        break;
      case 'case-done': {
        const r = event.result;
        write(
          `[${event.done}/${event.total}] ${r.scenario}/${r.case} × ${r.client}: ${r.verdict} (${(r.durationMs / 1000).toFixed(1)} s)`,
        );
        break;
      }
    }
  };
}

/** One row per scenario/case, one column per client; a single client also gets the reason. */
export function verdictTable(results: CaseResult[]): string {
  const { rows, clients, cell } = matrix(results);
  const single = clients.length === 1;
  const header = ['scenario/case', ...clients, ...(single ? ['reason'] : [])];
  const body = rows.map((row) => [
    row,
    ...clients.map((c) => cell(row, c)?.verdict ?? '—'),
    ...(single ? [truncate(cell(row, clients[0]!)?.evidence.reason ?? '', 110)] : []),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[], colour: boolean): string =>
    cells
      .map((c, i) => {
        const padded = c.padEnd(widths[i]!);
        const isVerdict = colour && i > 0 && i <= clients.length && c in COLOURS;
        return isVerdict ? padded.replace(c, paint(c as Verdict)) : padded;
      })
      .join('  ')
      .trimEnd();
  return [line(header, false), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map((r) => line(r, true))].join('\n');
}

export function summaryLine(results: CaseResult[], wallMs: number): string {
  const counts = new Map<Verdict, number>();
  for (const r of results) counts.set(r.verdict, (counts.get(r.verdict) ?? 0) + 1);
  // Reproduced and error first: the counts a gate's reader must not miss.
  const parts = (['reproduced', 'error', 'fixed', 'not-applicable'] as Verdict[])
    .filter((v) => counts.get(v))
    .map((v) => `${counts.get(v)} ${v}`);
  return `${results.length} result(s): ${parts.join(', ') || 'none'} in ${(wallMs / 1000).toFixed(1)} s`;
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
