// `regress verify` prints the broken and the fixed side's evidence next to each other.
import type { CaseResult } from '../types.ts';
import { runtimeLabel } from '../runtime-label.ts';

export function evidenceLines(result: CaseResult | undefined): string[] {
  if (!result) return ['(no result)'];
  const lines = [`verdict: ${result.verdict}`, `reason: ${result.evidence.reason}`];
  const packages = Object.entries(result.installed?.packages ?? {}).filter(([, v]) => v);
  lines.push(`installed: ${runtimeLabel(result.installed)}, ${packages.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  lines.push('client:');
  for (const s of result.evidence.client.steps) {
    const outcome = s.ok ? String(s.status) : s.cancelled ? 'cancelled' : `${s.error?.type} (${s.error?.kind})`;
    lines.push(`  ${s.name} @${s.startedAt.toFixed(2)}s +${s.elapsed.toFixed(2)}s → ${outcome}`);
  }
  for (const [name, obs] of Object.entries(result.evidence.server)) {
    lines.push(`server ${name}: ${obs.connections.length} conn, ${obs.requests.length} req, peak ${obs.peakConcurrentConnections}`);
    for (const c of obs.connections) {
      const tls = c.tls ? ` TLS ${c.tls.outcome}` : '';
      lines.push(`  #${c.id} ${c.openedAt}–${c.closedAt ?? 'open'} ms, ${c.requests} req${tls}`);
    }
  }
  return lines;
}

export function sideBySide(left: string[], right: string[], width = 72): string {
  const wrap = (lines: string[]): string[] =>
    lines.flatMap((line) => {
      const parts: string[] = [];
      let rest = line;
      while (rest.length > width) {
        parts.push(rest.slice(0, width));
        rest = `    ${rest.slice(width)}`;
      }
      parts.push(rest);
      return parts;
    });
  const a = wrap(left);
  const b = wrap(right);
  return Array.from({ length: Math.max(a.length, b.length) }, (_, i) => `${(a[i] ?? '').padEnd(width)} │ ${b[i] ?? ''}`.trimEnd()).join('\n');
}
