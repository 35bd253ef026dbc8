// report.html: one self-contained file (no network, no external assets) with the verdict matrix as a
// coloured grid; a click on a cell shows its evidence: the client's steps and exceptions, and each
// server's connection timeline. All evidence text is inserted with textContent, never as HTML.
import { columnReleases, matrix, type RunReport } from './formats.ts';

export interface ReportHtmlOptions {
  /** Markup (already escaped) shown above the matrix: the diff's sides, versions and changes. */
  prepend?: string;
}

export function reportHtml(report: RunReport, options: ReportHtmlOptions = {}): string {
  // JSON inside <script> must not be able to close the element.
  const { rows, clients } = matrix(report.results);
  // Column headers show what each column really installed, not only the spec as typed.
  const releases = Object.fromEntries(clients.map((c) => [c, columnReleases(report.results, c)]));
  const data = JSON.stringify({ ...report, layout: { rows, clients, releases } }).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>regress report ${escapeHtml(report.run.id)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
  <h1>regress report</h1>
  <p id="run-meta"></p>
  <p id="interrupted" class="banner" hidden></p>
  <p id="counts"></p>
</header>
<main>
${options.prepend ?? ''}
  <section>
    <table id="grid" aria-label="verdict matrix"><thead></thead><tbody></tbody></table>
    <p class="hint">Select a cell to see its evidence.</p>
  </section>
  <section id="detail" hidden aria-live="polite">
    <h2 id="detail-title"></h2>
    <p><span id="detail-verdict" class="badge"></span> <span id="detail-reason"></span></p>
    <h3>Installed</h3><p id="detail-installed" class="mono"></p>
    <h3>Client steps</h3>
    <table id="detail-steps"><thead><tr><th>step</th><th>start (s)</th><th>took (s)</th><th>outcome</th><th>exception</th></tr></thead><tbody></tbody></table>
    <div id="detail-error"></div>
    <div id="detail-details"></div>
    <h3>Server connections</h3>
    <div id="detail-servers"></div>
  </section>
</main>
<script type="application/json" id="report-data">${data}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

const STYLE = `
:root { font-family: system-ui, sans-serif; color: #1d2330; background: #fafbfc; }
body { margin: 0 auto; max-width: 1400px; padding: 1rem 1.5rem; }
h1 { margin: 0 0 .25rem; font-size: 1.5rem; }
h2 { font-size: 1.15rem; margin: .5rem 0; } h3 { font-size: .95rem; margin: 1rem 0 .35rem; }
.banner { background: #fff4ce; border: 1px solid #e0c050; padding: .4rem .6rem; border-radius: 4px; }
.mono { font-family: ui-monospace, monospace; font-size: .85rem; }
table { border-collapse: collapse; font-size: .88rem; }
th, td { border: 1px solid #d5d9e0; padding: .3rem .5rem; text-align: left; vertical-align: top; }
thead th { background: #eef1f5; }
#grid td.cell { padding: 0; }
#grid button { all: unset; box-sizing: border-box; display: block; width: 100%; padding: .35rem .6rem; cursor: pointer; font-weight: 600; text-align: center; }
#grid button:focus-visible, #grid button[aria-pressed="true"] { outline: 3px solid #1d4ed8; outline-offset: -3px; }
.v-fixed { background: #d3f2dc; color: #14532d; }
.v-reproduced { background: #fbd5d5; color: #7f1d1d; }
.v-not-applicable { background: #e5e7eb; color: #374151; }
.v-error { background: #ead9fb; color: #4c1d95; }
.badge { padding: .15rem .5rem; border-radius: 999px; font-weight: 700; }
.chip { margin-right: .6rem; padding: .15rem .5rem; border-radius: 4px; }
.hint { color: #5b6475; font-size: .85rem; }
.releases { display: block; font-weight: 400; font-size: .75rem; color: #4b5563; }
.mark { display: block; font-size: .72rem; font-weight: 700; letter-spacing: .02em; }
.k-known { opacity: .75; }
.k-new .mark { color: #991b1b; }
.c-brought-back, .c-newly-reproduced { background: #fbd5d5; }
.c-fixed-by-bump { background: #d3f2dc; }
.c-changed { background: #fff4ce; }
#detail { border-top: 2px solid #d5d9e0; margin-top: 1rem; }
.changes .breaking { color: #7f1d1d; font-weight: 600; }
table.kv th { background: #f5f7fa; font-weight: 600; }
.timeline text { font-size: 11px; font-family: ui-monospace, monospace; }
`;

const SCRIPT = `
const report = JSON.parse(document.getElementById('report-data').textContent);
const results = report.results;
const el = (tag, props = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') node.className = v; else if (k === 'text') node.textContent = v; else node.setAttribute(k, v);
  }
  for (const child of children) node.append(child);
  return node;
};
const run = report.run;
document.getElementById('run-meta').textContent =
  'Run ' + run.id + ' · started ' + run.startedAt + (run.finishedAt ? ' · finished ' + run.finishedAt : '') +
  ' · ' + run.host.platform + ' · Node ' + run.host.node + ' · ' + run.command;
if (run.interrupted) {
  const b = document.getElementById('interrupted');
  b.hidden = false;
  b.textContent = 'Interrupted: ' + results.length + ' of ' + run.planned + ' cases finished; this report holds those.';
}
const verdicts = ['fixed', 'reproduced', 'not-applicable', 'error'];
const counts = document.getElementById('counts');
// With --known: each reproduction is known (accepted, with why) or new (it fails the run).
function markOf(r) {
  const k = report.known;
  if (!k || r.verdict !== 'reproduced') return null;
  const same = (m) => m.scenario === r.scenario && m.case === r.case && m.client === r.client;
  const accepted = k.accepted.find(same);
  if (accepted) return { known: true, why: accepted.why };
  const fresh = k.fresh.find(same);
  return { known: false, note: fresh && fresh.note };
}
for (const v of verdicts) {
  const n = results.filter((r) => r.verdict === v).length;
  let text = n + ' ' + v;
  if (v === 'reproduced' && report.known) {
    const known = results.filter((r) => { const m = markOf(r); return m && m.known; }).length;
    text += ' (' + known + ' known, ' + (n - known) + ' new)';
  }
  counts.append(el('span', { class: 'chip v-' + v, text }));
}
if (report.known) {
  const lines = [...report.known.unmatched.map((e) => 'known entry matched no result in this run: ' + e),
    ...report.known.stale.map((e) => 'known failure no longer reproduces (remove it from ' + report.known.file + '): ' + e)];
  if (lines.length) counts.after(el('ul', { id: 'known-notes' }, ...lines.map((t) => el('li', { text: t }))));
}
const { rows, clients, releases } = report.layout;
const grid = document.getElementById('grid');
const head = el('tr', {}, el('th', { text: 'scenario / case' }));
for (const c of clients) {
  const installed = (releases && releases[c]) || [];
  head.append(el('th', { scope: 'col' }, c, el('span', { class: 'releases', text: installed.length ? installed.join(' · ') : 'not installed' })));
}
grid.tHead.append(head);
for (const row of rows) {
  const tr = el('tr', {}, el('th', { text: row, scope: 'row' }));
  for (const c of clients) {
    const r = results.find((x) => x.scenario + '/' + x.case === row && x.client === c);
    if (!r) { tr.append(el('td', { text: '—' })); continue; }
    const mark = markOf(r);
    const button = el('button', { type: 'button', 'aria-pressed': 'false', 'data-row': row, 'data-client': c,
      title: (mark && mark.known ? 'known (accepted: ' + mark.why + '): ' : '') + r.evidence.reason, text: r.verdict });
    if (mark) button.append(el('span', { class: 'mark', text: mark.known ? 'known' : 'NEW' }));
    button.addEventListener('click', () => show(r, button));
    tr.append(el('td', { class: 'cell v-' + r.verdict + (mark ? (mark.known ? ' k-known' : ' k-new') : '') }, button));
  }
  grid.tBodies[0].append(tr);
}
function outcome(s) {
  if (s.ok) return s.status === undefined ? 'ok' : String(s.status);
  if (s.cancelled) return 'cancelled';
  return s.error ? s.error.kind : 'error';
}
function show(r, button) {
  for (const b of grid.querySelectorAll('button')) b.setAttribute('aria-pressed', 'false');
  button.setAttribute('aria-pressed', 'true');
  document.getElementById('detail').hidden = false;
  document.getElementById('detail-title').textContent = r.scenario + '/' + r.case + ' × ' + r.client;
  const badge = document.getElementById('detail-verdict');
  badge.textContent = r.verdict; badge.className = 'badge v-' + r.verdict;
  const mark = markOf(r);
  const markText = !mark ? '' : mark.known ? 'known failure, accepted: ' + mark.why + '. ' : 'NEW' + (mark.note ? ', beyond the accepted measure (' + mark.note + ')' : '') + '. ';
  const measure = r.evidence.measure ? ' Measure: ' + r.evidence.measure.value + ' ' + r.evidence.measure.what + ' (tolerance ' + r.evidence.measure.tolerance + ').' : '';
  document.getElementById('detail-reason').textContent = markText + r.evidence.reason + ' (' + (r.durationMs / 1000).toFixed(1) + ' s)' + measure;
  const inst = r.installed;
  document.getElementById('detail-installed').textContent = inst
    ? (inst.node ? 'Node ' + inst.node : 'Python ' + inst.python) + ' · ' + Object.entries(inst.packages).filter(([, v]) => v).map(([k, v]) => k + ' ' + v).join(' · ')
    : 'not installed';
  const body = document.querySelector('#detail-steps tbody');
  body.replaceChildren();
  for (const s of r.evidence.client.steps) {
    body.append(el('tr', {}, el('td', { text: s.name }), el('td', { text: s.startedAt.toFixed(3) }),
      el('td', { text: s.elapsed.toFixed(3) }), el('td', { text: outcome(s) }),
      el('td', { class: 'mono', text: s.error ? s.error.type + (s.error.message ? ': ' + s.error.message : '') : '' })));
  }
  const err = document.getElementById('detail-error');
  err.replaceChildren();
  const tail = r.evidence.client.stderrTail || r.evidence.client.outputProblem;
  if (tail) err.append(el('h3', { text: 'Client output' }), el('pre', { class: 'mono', text: tail }));
  showDetails(r.evidence.details);
  const servers = document.getElementById('detail-servers');
  servers.replaceChildren();
  const names = Object.keys(r.evidence.server);
  if (!names.length) servers.append(el('p', { text: 'no server observations' }));
  for (const name of names) servers.append(timeline(name, r.evidence.server[name], r.evidence.marks || {}));
}
// A judge's structured details (smoke: the cause, the TLS handshake, the OpenAPI changes) as nested tables.
function showDetails(details) {
  const box = document.getElementById('detail-details');
  box.replaceChildren();
  if (!details) return;
  box.append(el('h3', { text: 'Details' + (details.cause ? ': cause ' + details.cause : '') }));
  const changes = details.changes;
  if (changes && !Array.isArray(changes) && (changes.breaking || changes.other)) {
    const list = el('ul', { class: 'changes' });
    for (const c of changes.breaking || []) list.append(el('li', { class: 'breaking', text: 'breaking: ' + c.description + ' (' + c.path + ')' }));
    for (const c of changes.other || []) list.append(el('li', { text: c.type + ': ' + c.description + ' (' + c.path + ')' }));
    if (!list.children.length) list.append(el('li', { text: 'no changes' }));
    box.append(el('h3', { text: 'API changes' }), list);
  }
  const rest = Object.fromEntries(Object.entries(details).filter(([k]) => k !== 'cause' && !(k === 'changes' && changes && !Array.isArray(changes))));
  if (Object.keys(rest).length) box.append(valueNode(rest));
}
function valueNode(value) {
  if (value === null || typeof value !== 'object') return el('span', { class: 'mono', text: String(value) });
  if (Array.isArray(value) && value.every((v) => v === null || typeof v !== 'object')) return el('span', { class: 'mono', text: value.join(', ') });
  const table = el('table', { class: 'kv' });
  for (const [k, v] of Object.entries(value)) table.append(el('tr', {}, el('th', { text: k }), el('td', {}, valueNode(v))));
  return table;
}
function timeline(name, obs, marks) {
  const wrap = el('div');
  const foreign = (obs.foreign || []).length;
  wrap.append(el('p', { text: name + ': ' + obs.connections.length + ' connection(s), ' + obs.requests.length +
    ' request(s), peak ' + obs.peakConcurrentConnections + ' concurrent' + (obs.tlsFailures ? ', ' + obs.tlsFailures + ' TLS failure(s)' : '') +
    (foreign ? '; ' + foreign + ' foreign connection(s) from other processes, not judged' : '') }));
  if (!obs.connections.length) return wrap;
  const ns = 'http://www.w3.org/2000/svg';
  // The axis spans the server's activity: from the first connection to the last event.
  const start = Math.min(...obs.connections.map((c) => c.openedAt), ...obs.requests.map((q) => q.at));
  const end = Math.max(start + 1, ...obs.connections.map((c) => c.closedAt ?? c.openedAt), ...obs.requests.map((q) => q.at), ...Object.values(marks));
  const width = 900, left = 60, rowH = 22, height = obs.connections.length * rowH + 24;
  const x = (t) => left + ((t - start) / (end - start)) * (width - left - 10);
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('class', 'timeline'); svg.setAttribute('width', width); svg.setAttribute('height', height);
  svg.setAttribute('role', 'img'); svg.setAttribute('aria-label', name + ' connection timeline');
  const add = (tag, attrs, text) => {
    const n = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
    if (text !== undefined) n.textContent = text;
    svg.append(n); return n;
  };
  obs.connections.forEach((c, i) => {
    const y = 6 + i * rowH;
    add('text', { x: 4, y: y + 12 }, '#' + c.id);
    const failed = c.tls && c.tls.outcome === 'failed';
    const bar = add('rect', { x: x(c.openedAt), y, height: 14, rx: 3,
      width: Math.max(2, x(c.closedAt ?? end) - x(c.openedAt)), fill: failed ? '#f2a3a3' : '#9cc3f5' });
    const tls = c.tls ? ' · TLS ' + c.tls.outcome + (c.tls.error ? ' (' + c.tls.error + ')' : '') : '';
    bar.append(Object.assign(document.createElementNS(ns, 'title'), { textContent:
      'connection #' + c.id + ' opened ' + c.openedAt + ' ms, ' + (c.closedAt === undefined ? 'still open' : 'closed ' + c.closedAt + ' ms') +
      ', ' + c.requests + ' request(s)' + tls }));
    for (const q of obs.requests.filter((q) => q.connection === c.id)) {
      const tick = add('rect', { x: x(q.at) - 1, y: y - 2, width: 3, height: 18, fill: q.aborted ? '#b91c1c' : '#1f2937' });
      tick.append(Object.assign(document.createElementNS(ns, 'title'), { textContent: q.method + ' ' + q.path + ' at ' + q.at + ' ms' + (q.aborted ? ' (client left before the response)' : '') }));
    }
  });
  // Marks the client set on the server clock (e.g. "linger": every client closed) as dashed lines.
  for (const [mark, at] of Object.entries(marks)) {
    if (at < start || at > end) continue;
    add('line', { x1: x(at), x2: x(at), y1: 0, y2: height - 18, stroke: '#7c3aed', 'stroke-dasharray': '4 3' });
    const nearRight = x(at) > width - 80;
    add('text', { x: x(at) + (nearRight ? -3 : 3), y: height - 18, fill: '#7c3aed', 'text-anchor': nearRight ? 'end' : 'start' }, 'mark: ' + mark);
  }
  add('text', { x: left, y: height - 4 }, Math.round(start) + ' ms');
  add('text', { x: width - 10, y: height - 4, 'text-anchor': 'end' }, Math.round(end) + ' ms (server clock)');
  wrap.append(svg);
  const list = el('ul', { class: 'mono' });
  for (const c of obs.connections) {
    list.append(el('li', { text: '#' + c.id + ' port ' + c.remotePort + ': open ' + c.openedAt + ' ms → ' +
      (c.closedAt === undefined ? 'open' : c.closedAt + ' ms' + (c.closedBy ? ' (closed by ' + c.closedBy + ')' : '')) + ', ' + c.requests + ' request(s) ' + c.paths.join(', ') +
      (c.tls ? ' · TLS ' + c.tls.outcome + (c.tls.error ? ' (' + c.tls.error + ')' : '') +
      (c.tls.clientCertificate ? ' · client cert CN=' + c.tls.clientCertificate : '') : '') }));
  }
  wrap.append(list);
  return wrap;
}
`;
