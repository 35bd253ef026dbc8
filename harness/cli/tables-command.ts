// `regress tables`: the measured version table of every scenario, from a real run of the newest release
// of each httpx minor series, every release of the newest series (0.28.0 broke what 0.28.1 mended), and
// the newest release of each httpx2 minor series. `--write` puts it into each scenario README between the
// markers below, stamped with the date, Python and platform; a project's own scenarios (--scenarios,
// regress.config.json) are run and printed but never written: their folders belong to the project.
import { compare, satisfies, valid } from '@renovatebot/pep440';
import { CLIENTS } from '../clients.ts';
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, sep } from 'node:path';
import { writeFileWhole } from '../atomic-file.ts';
import { latestPerMinor, listReleases, selectReleases } from '../package-index.ts';
import { planJobs } from '../runner.ts';
import { SCENARIOS_DIR, selectScenarios } from '../scenarios.ts';
import { scenariosFor } from './scenario-folders.ts';
import { SYMBOL } from '../report/formats.ts';
import { BadInput, runSession } from '../session.ts';
import { parseClientSpec } from '../spec.ts';
import { venvTarget } from '../runtime/python-env.ts';
import type { CaseResult, Scenario, Verdict } from '../types.ts';
import { type CommonOptions, EXIT, openCache, sessionOptions } from './common.ts';

export const TABLE_START = '<!-- regress:versions:start -->';
export const TABLE_END = '<!-- regress:versions:end -->';
export const CATALOGUE_START = '<!-- regress:scenarios:start -->';
export const CATALOGUE_END = '<!-- regress:scenarios:end -->';
const ROOT_README = join(SCENARIOS_DIR, '..', 'README.md');
/**
 * --write edits the catalogue's READMEs only in a checkout of regress: an installed package's files
 * (node_modules/regress/dist) are npm's, and its dist/ has no README beside the scenarios.
 */
const CATALOGUE_WRITABLE = existsSync(ROOT_README) && !SCENARIOS_DIR.split(sep).includes('node_modules');
const WORD: Record<Verdict, string> = { fixed: 'fixed', reproduced: 'reproduced', 'not-applicable': 'n/a', error: 'error' };

interface TablesOptions extends CommonOptions {
  scenario?: string[];
  from: string;
  write?: boolean;
}

export async function tablesCommand(options: TablesOptions): Promise<number> {
  const scenarios = selectScenarios(await scenariosFor(options), options.scenario ?? []);
  if (!valid(options.from)) throw new BadInput(`'${options.from}' is not a PEP 440 version`);
  const released = selectReleases(await listReleases('httpx'), { from: options.from });
  const newestSeries = released.filter((v) => minorOf(v) === minorOf(released.at(-1) ?? ''));
  const httpx = [...new Set([...latestPerMinor(released), ...newestSeries])].sort(compare);
  // Only releases inside the client contract: httpx2 0.0.0 is a name-holding placeholder.
  const forks = latestPerMinor(selectReleases(await listReleases('httpx2'), {}).filter((v) => satisfies(v, CLIENTS.httpx2.supported)));
  const specs = [...httpx.map((v) => `httpx==${v}`), ...forks.map((v) => `httpx2==${v}`)].map(parseClientSpec);
  process.stderr.write(`[tables] ${specs.length} releases × ${scenarios.reduce((n, s) => n + s.cases.length, 0)} cases\n`);
  const cache = await openCache(options);
  const outcome = await runSession(planJobs(scenarios, specs.map((s) => venvTarget(cache, s))), sessionOptions(options));
  if (outcome.interrupted) return EXIT.interrupted;
  const tables = Object.fromEntries(
    scenarios.map((s) => [s.meta.id, versionTable(s, outcome.results.filter((r) => r.scenario === s.meta.id), specs.map((x) => x.label))]),
  );
  const log = (line: string): boolean => process.stderr.write(`[tables] ${line}\n`);
  const printed = options.write ? await writeOwnTables(scenarios, tables, log, CATALOGUE_WRITABLE) : scenarios;
  if (!options.json) for (const s of printed) process.stdout.write(`\n### ${s.meta.id}\n\n${tables[s.meta.id]}\n`);
  // The project README's catalogue: per scenario, the newest httpx and httpx2 verdicts at a glance.
  const newest = [specs.filter((s) => s.module === 'httpx').at(-1), specs.filter((s) => s.module === 'httpx2').at(-1)].flatMap((s) => (s ? [s.label] : []));
  const catalogue = catalogueTable(scenarios, outcome.results, newest);
  if (options.write && !options.scenario?.length && CATALOGUE_WRITABLE) {
    // regress's README lists regress's catalogue only, whatever project folders this run also had.
    const own = catalogueTable(scenarios.filter((s) => !s.origin), outcome.results, newest);
    await writeBetween(ROOT_README, CATALOGUE_START, CATALOGUE_END, own, '## Scenarios');
    process.stderr.write('[tables] wrote README.md (scenario catalogue)\n');
  } else if (!options.json) {
    process.stdout.write(`\n### catalogue\n\n${catalogue}\n`);
  }
  if (options.json) process.stdout.write(`${JSON.stringify({ tables, catalogue }, null, 2)}\n`);
  return outcome.results.some((r) => r.verdict === 'error') ? EXIT.error : EXIT.ok;
}

export function versionTable(scenario: Scenario, results: CaseResult[], clients: string[]): string {
  const cases = scenario.cases.map((c) => c.name);
  const any = results.find((r) => r.installed);
  const stamp =
    `Generated by \`npx regress tables --write\` on ${new Date().toISOString().slice(0, 10)}, ` +
    `Python ${any?.installed?.python ?? '?'} (${any?.installed?.openssl ?? '?'}), ${process.platform}-${process.arch}. ` +
    'Each row is the newest release of its minor series (and every release of the newest httpx series); ✅ fixed, ❌ reproduced, ➖ not applicable, ⚠️ error.';
  const rows = clients.map((client) => {
    const installed = results.find((r) => r.client === client && r.installed)?.installed?.packages;
    const core = installed ? ['httpcore', 'httpcore2'].map((k) => installed[k] && `${k} ${installed[k]}`).filter(Boolean).join(', ') : '';
    const cells = cases.map((c) => {
      const r = results.find((x) => x.client === client && x.case === c);
      return r ? `${SYMBOL[r.verdict]} ${WORD[r.verdict]}` : '—';
    });
    return `| ${client.replace('==', ' ')} | ${core || '—'} | ${cells.join(' | ')} |`;
  });
  return [stamp, '', `| release | with | ${cases.join(' | ')} |`, `|---|---|${cases.map(() => '---').join('|')}|`, ...rows].join('\n');
}

function minorOf(version: string): string {
  return version.split('.').slice(0, 2).join('.');
}

/**
 * One row per scenario: status, upstream issue, cases, the measured broken → fixed releases, and the
 * verdict of the newest httpx and httpx2 (a scenario reproduces when any of its cases does).
 */
export function catalogueTable(scenarios: Scenario[], results: CaseResult[], newest: string[]): string {
  const verdictOf = (scenario: Scenario, client: string): string => {
    const mine = results.filter((r) => r.scenario === scenario.meta.id && r.client === client);
    if (!mine.length) return '—';
    for (const v of ['reproduced', 'error'] as Verdict[]) {
      const hit = mine.filter((r) => r.verdict === v);
      if (hit.length) return `${SYMBOL[v]} ${WORD[v]}${hit.length < mine.length ? ` (${hit.map((r) => r.case).join(', ')})` : ''}`;
    }
    return mine.every((r) => r.verdict === 'not-applicable') ? `${SYMBOL['not-applicable']} n/a` : `${SYMBOL.fixed} fixed`;
  };
  const issue = (url: string): string => {
    const m = /github\.com\/([^/]+)\/([^/]+)\/(?:issues|pull)\/(\d+)/.exec(url);
    return m ? `[${m[2]} #${m[3]}](${url})` : url;
  };
  const header = `| scenario | status | upstream | cases | broken → fixed (measured) | ${newest.map((c) => c.replace('==', ' ')).join(' | ')} |`;
  const rows = scenarios.map((s) => {
    const cells = [
      `[\`${s.meta.id}\`](scenarios/${s.meta.id}/)`,
      s.meta.status ?? 'historic',
      issue(s.meta.upstream.issue),
      s.cases.map((c) => `\`${c.name}\``).join(', '),
      `${s.meta.measured.lastBroken} → ${s.meta.measured.firstFixed}`.replace(/\|/g, '/'),
      ...newest.map((c) => verdictOf(s, c)),
    ];
    return `| ${cells.join(' | ')} |`;
  });
  const stamp = `Generated by \`npx regress tables --write\` on ${new Date().toISOString().slice(0, 10)}; the last columns are the newest releases' verdicts.`;
  return [stamp, '', header, `|${Array(5 + newest.length).fill('---').join('|')}|`, ...rows].join('\n');
}

/**
 * --write: each table into its scenario's README, for regress's own scenarios in a checkout of regress
 * only. A project's scenario folder and its README belong to the project (and an installed package's files
 * to npm): those tables are returned, to be printed for their authors to paste or ignore.
 */
export async function writeOwnTables(
  scenarios: Scenario[],
  tables: Record<string, string>,
  log: (line: string) => void,
  catalogueWritable: boolean,
): Promise<Scenario[]> {
  const printed: Scenario[] = [];
  for (const scenario of scenarios) {
    if (scenario.origin || !catalogueWritable) {
      const whose = scenario.origin ? `the project's (${scenario.dir})` : "in the installed package (edit regress's own checkout instead)";
      log(`${scenario.meta.id} is ${whose}: its table is printed, not written`);
      printed.push(scenario);
      continue;
    }
    await writeTable(scenario, tables[scenario.meta.id]!);
    log(`wrote ${join('scenarios', scenario.meta.id, 'README.md')}`);
  }
  return printed;
}

async function writeTable(scenario: Scenario, table: string): Promise<void> {
  await writeBetween(join(scenario.dir, 'README.md'), TABLE_START, TABLE_END, table, '## Version table');
}

/** Replace what stands between two markers, or append a section with them. */
async function writeBetween(path: string, startMarker: string, endMarker: string, body: string, heading: string): Promise<void> {
  const readme = await readFile(path, 'utf8');
  const block = `${startMarker}\n${body}\n${endMarker}`;
  const start = readme.indexOf(startMarker);
  const end = readme.indexOf(endMarker);
  const next =
    start >= 0 && end > start
      ? `${readme.slice(0, start)}${block}${readme.slice(end + endMarker.length)}`
      : `${readme.trimEnd()}\n\n${heading}\n\n${block}\n`;
  await writeFileWhole(path, next);
}
