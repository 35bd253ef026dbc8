// The soak samples as an inline SVG line chart: one small panel per metric (their scales differ by orders
// of magnitude), iterations on the x axis, the warm-up shaded, a growing metric drawn in red. Plain SVG
// text, no script, no network: it is embedded in report.html as is.
import { xml as escapeXml } from '../report/formats.ts';
import { METRICS, type MetricName } from './samples.ts';
import type { SoakPoint } from './run-soak.ts';
import type { Trend } from './trend.ts';

const WIDTH = 360;
const HEIGHT = 150;
const PAD = { left: 46, right: 10, top: 22, bottom: 26 };

export const CHART_METRICS: MetricName[] = ['fds', 'tcp', 'unclosed', 'serverOpen', 'poolConnections', 'objects', 'rssKb'];

function round(n: number): string {
  return (Math.round(n * 10) / 10).toString();
}

/** One panel: a metric's series; null when the release exposes no value for it. */
export function metricPanel(metric: MetricName, points: SoakPoint[], warmup: number, trend: Trend | undefined): string | null {
  const values = points.map((p) => ({ x: p.iteration, y: p[metric] })).filter((p): p is { x: number; y: number } => p.y !== null);
  if (values.length === 0) return null;
  const maxX = Math.max(...values.map((p) => p.x), 2);
  const ys = values.map((p) => p.y);
  let lo = Math.min(...ys);
  let hi = Math.max(...ys);
  if (hi === lo) {
    hi += 1;
    lo = Math.max(0, lo - 1);
  }
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const sx = (x: number): number => PAD.left + ((x - 1) / Math.max(1, maxX - 1)) * plotW;
  const sy = (y: number): number => PAD.top + plotH - ((y - lo) / (hi - lo)) * plotH;
  const colour = trend?.grows ? '#c62828' : '#1565c0';
  const path = values.map((p, i) => `${i ? 'L' : 'M'}${round(sx(p.x))},${round(sy(p.y))}`).join(' ');
  const info = METRICS[metric];
  const title = `${info.short}${info.unit ? ` (${info.unit})` : ''}`;
  const slope = trend ? ` · ${trend.slope >= 0 ? '+' : ''}${trend.slope.toFixed(2)}/it${trend.grows ? ' · GROWS' : ''}${info.judged ? '' : ' · not judged'}` : '';
  const warmX = sx(Math.min(warmup, maxX));
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" class="soak-chart" data-metric="${metric}" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${escapeXml(info.label)}">`,
    `<title>${escapeXml(info.label)}</title>`,
    `<rect x="${PAD.left}" y="${PAD.top}" width="${round(Math.max(0, warmX - PAD.left))}" height="${plotH}" fill="#eeeeee"><title>warm-up: ${warmup} iteration(s), not judged</title></rect>`,
    `<line x1="${PAD.left}" y1="${PAD.top + plotH}" x2="${WIDTH - PAD.right}" y2="${PAD.top + plotH}" stroke="#888"/>`,
    `<line x1="${PAD.left}" y1="${PAD.top}" x2="${PAD.left}" y2="${PAD.top + plotH}" stroke="#888"/>`,
    `<text x="${PAD.left}" y="14" font-size="11" font-family="sans-serif">${escapeXml(title + slope)}</text>`,
    `<text x="${PAD.left - 4}" y="${PAD.top + 4}" font-size="10" text-anchor="end" font-family="sans-serif">${round(hi)}</text>`,
    `<text x="${PAD.left - 4}" y="${PAD.top + plotH}" font-size="10" text-anchor="end" font-family="sans-serif">${round(lo)}</text>`,
    `<text x="${PAD.left}" y="${HEIGHT - 8}" font-size="10" font-family="sans-serif">1</text>`,
    `<text x="${WIDTH - PAD.right}" y="${HEIGHT - 8}" font-size="10" text-anchor="end" font-family="sans-serif">iteration ${maxX}</text>`,
    `<path d="${path}" fill="none" stroke="${colour}" stroke-width="1.5"/>`,
    // Points carry their values as tooltips; a long soak gets no dots, only the line.
    ...(values.length <= 60
      ? values.map((p) => `<circle cx="${round(sx(p.x))}" cy="${round(sy(p.y))}" r="2" fill="${colour}"><title>iteration ${p.x}: ${p.y}</title></circle>`)
      : []),
    '</svg>',
  ].join('');
}

/** Every metric that has values, as panels side by side. */
export function soakChart(points: SoakPoint[], warmup: number, trends: Trend[]): string {
  return CHART_METRICS.map((m) => metricPanel(m, points, warmup, trends.find((t) => t.metric === m)))
    .filter((p): p is string => p !== null)
    .join('\n');
}
