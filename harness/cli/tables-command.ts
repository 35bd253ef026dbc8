// `regress tables`: the measured version tables of every scenario, from a real run of the newest release
// of each minor series of every family the scenario covers, from the family record's `tables.from` (and,
// where the record asks, every release of the newest series: httpx 0.28.0 broke what 0.28.1 mended).
// One table per client program (clients/httpx.py serves httpx and httpx2: one table with both). `--write`
// puts each into the scenario README between its markers, stamped with the date, Python and platform; a
// project's own scenarios (--scenarios, regress.config.json) are run and printed but never written: their
// folders belong to the project.
import { type ClientFamily, defaultFamily, families, family, interpreterReason } from '../families.ts';
import { coveredFamilies, overallStatus } from '../scenario-families.ts';
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, sep } from 'node:path';
import { writeFileWhole } from '../atomic-file.ts';
import { latestPerMinor, listReleasesOf, selectReleases } from '../package-index.ts';
import { versionScheme } from '../version-schemes.ts';
import { planJobs } from '../runner.ts';
import { SCENARIOS_DIR, selectScenarios } from '../scenarios.ts';
import { scenariosFor } from './scenario-folders.ts';
import { SYMBOL } from '../report/formats.ts';
import { BadInput, runSession } from '../session.ts';
import { releaseSpec } from '../spec.ts';
import type { CaseResult, Scenario, Verdict } from '../types.ts';
import { cellUnits, shardJobs } from '../shard-plan.ts';
import type { ShardSpec, TablesPlan } from '../shard.ts';
import { checkShardReport, type CommonOptions, EXIT, openCache, sessionOptions } from './common.ts';
import { clientTargets, openNpmCache } from './targets.ts';

export const TABLE_START = '<!-- regress:versions:start -->';
export const TABLE_END = '<!-- regress:versions:end -->';
/**
 * The markers of one client program's table: the default family's program keeps the markers tables had
 * before families (so its tables regenerate byte for byte); every other program has its own.
 */
export function tableMarkers(program: string): [start: string, end: string] {
  if (program === defaultFamily().contract.program) return [TABLE_START, TABLE_END];
  return [`<!-- regress:versions:${program}:start -->`, `<!-- regress:versions:${program}:end -->`];
}
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
  family?: string[];
  from?: string;
  write?: boolean;
  shard?: ShardSpec;
  /** The README catalogue alone: the newest release of each family, no scenario table touched. */
  catalogue?: boolean;
}

/**
 * The releases a family's table rows are: newest of each minor (or major) series from `from`, inside the
 * contract and runnable on this interpreter (Python families) or on the Node running regress (npm ones).
 */
async function releasesFor(f: ClientFamily, from: string, python: string, node: string): Promise<string[]> {
  const scheme = versionScheme(f.runtime);
  const runsOn = f.runtime === 'npm' ? node : python;
  const released = selectReleases(await listReleasesOf(f.runtime, f.distribution), { from }, scheme)
    .filter((v) => scheme.satisfies(v, f.supported) && (f.nodeIsRelease || !interpreterReason(f, v, runsOn)));
  const newestSeries = f.tables.everyReleaseOfNewestSeries ? released.filter((v) => scheme.series(v) === scheme.series(released.at(-1) ?? '')) : [];
  return [...new Set([...latestPerMinor(released, scheme, f.tables.series), ...newestSeries])].sort(scheme.compare);
}

export async function tablesCommand(options: TablesOptions): Promise<number> {
  checkShardReport(options);
  // A shard's tables would hold its own rows only: the README is written once, from every shard's results.
  if (options.shard && options.write) throw new BadInput('--write goes to `regress merge`, which writes the tables from every shard; a shard only runs its part');
  const scenarios = selectScenarios(await scenariosFor(options), options.scenario ?? []);
  const chosen = (options.family ?? families().map((f) => f.id)).map(family)
    // Only families some selected scenario covers: a table nobody reads is a run nobody needs.
    .filter((f) => scenarios.some((s) => coveredFamilies(s).includes(f)));
  if (options.from !== undefined) {
    if (chosen.length !== 1) throw new BadInput('--from is the oldest release of one family: give exactly one --family with it');
    if (!versionScheme(chosen[0]!.runtime).valid(options.from)) throw new BadInput(`'${options.from}' is not a ${chosen[0]!.runtime === 'npm' ? 'semver' : 'PEP 440'} version`);
  }
  const python = chosen.some((f) => f.runtime === 'python') ? (await openCache(options)).python.version : '';
  // The npm packages' rows run on one Node release: --node's (installed first, so rows are filtered by what
  // runs on it), else the Node running regress. node-http and fetch rows are Node releases themselves.
  if ((options.node?.length ?? 0) > 1) throw new BadInput('tables takes one --node: run it once per Node release');
  const onNode = options.node?.length ? (await (await openNpmCache()).node(options.node[0])).version : undefined;
  const node = onNode ?? process.versions.node;
  if (options.catalogue && options.from !== undefined) throw new BadInput('--catalogue runs the newest release of each family; --from does not apply');
  const perFamily = (await Promise.all(chosen.map((f) => releasesFor(f, options.from ?? f.tables.from, python, node)))).map((all) => (options.catalogue ? all.slice(-1) : all));
  const specs = chosen.flatMap((f, i) => perFamily[i]!.map((v) => releaseSpec(f, v, onNode && f.runtime === 'npm' && !f.nodeIsRelease ? `node@${onNode}` : '')));
  const { targets } = await clientTargets(specs, true, { runtime: 'venv', ...(options.python ? { python: options.python } : {}) });
  const jobs = planJobs(scenarios, targets);
  const plan: TablesPlan = {
    scenarios: scenarios.map((s) => s.meta.id),
    families: chosen.map((f) => f.id),
    clients: specs.map((s) => ({ label: s.label, family: s.family })),
    // The interpreter of the Python families and the Node of the npm ones (the tables are stamped with them).
    python,
    node: chosen.some((f) => f.runtime === 'npm') ? node : '',
    wholeCatalogue: !options.scenario?.length && (!options.family?.length || families().every((f) => options.family!.includes(f.id))),
    ...(options.catalogue ? { catalogueOnly: true } : {}),
  };
  const log = (line: string): boolean => process.stderr.write(`[tables] ${line}\n`);
  log(`${specs.length} releases of ${chosen.map((f) => f.id).join(', ')}: ${jobs.length} cases`);
  if (options.shard) {
    // Cells (a scenario on one release) are split, so each row of a table is measured in one shard.
    const shard = shardJobs('tables', jobs, cellUnits(jobs), options.shard, plan);
    log(`shard ${shard.info.index}/${shard.info.count} of plan ${shard.info.plan}: ${shard.info.jobs} of ${shard.info.planJobs} cases`);
    const outcome = await runSession(shard.jobs, { ...sessionOptions(options), shard: { ...shard.info, tables: plan } });
    if (outcome.reportDir) log(`shard report: ${outcome.reportDir} (join every shard's with regress merge)`);
    if (outcome.interrupted) return EXIT.interrupted;
    // No report, no shard: merge would find this shard missing.
    if (!outcome.reportDir) return EXIT.error;
    return outcome.results.some((r) => r.verdict === 'error') ? EXIT.error : EXIT.ok;
  }
  const outcome = await runSession(jobs, sessionOptions(options));
  if (outcome.interrupted) return EXIT.interrupted;
  return renderTables(scenarios, plan, outcome.results, options);
}

/**
 * The tables of a plan from its results, printed, or with --write written into the scenario READMEs (and,
 * for every scenario and family, the README's catalogue): after one run, or after `regress merge` joined
 * a run's shards. Exit 2 when a case ended in error.
 */
export async function renderTables(scenarios: Scenario[], plan: TablesPlan, results: CaseResult[], options: { write?: boolean; json?: boolean }): Promise<number> {
  const chosen = plan.families.map(family);
  const specs = plan.clients;
  // Per scenario, one table per client program it covers (httpx and httpx2 share clients/httpx.py).
  const tables: Record<string, Record<string, string>> = {};
  const partial: string[] = [];
  for (const s of scenarios) {
    tables[s.meta.id] = {};
    const programs = [...new Set(coveredFamilies(s).filter((f) => chosen.includes(f)).map((f) => f.contract.program))];
    for (const program of programs) {
      const members = chosen.filter((f) => f.contract.program === program);
      // A table is every family that runs the program (httpx and httpx2 share one): written only whole.
      const missing = families().filter((f) => f.contract.program === program && coveredFamilies(s).includes(f) && !chosen.includes(f));
      if (missing.length && options.write) {
        partial.push(`${s.meta.id}: its ${program} table also holds ${missing.map((f) => f.id).join(', ')}; add --family ${missing.map((f) => f.id).join(' --family ')} to write it`);
        continue;
      }
      const labels = specs.filter((x) => members.some((f) => f.id === x.family)).map((x) => x.label);
      tables[s.meta.id]![program] = versionTable(s, results.filter((r) => r.scenario === s.meta.id), labels, members);
    }
  }
  const log = (line: string): boolean => process.stderr.write(`[tables] ${line}\n`);
  for (const line of partial) log(`not written: ${line}`);
  // A catalogue-only run has one row per family: it must never replace a scenario's whole table.
  const printed = options.write && !plan.catalogueOnly ? await writeOwnTables(scenarios, tables, log, CATALOGUE_WRITABLE) : plan.catalogueOnly ? [] : scenarios;
  if (!options.json) {
    for (const s of printed) for (const [program, table] of Object.entries(tables[s.meta.id]!)) process.stdout.write(`\n### ${s.meta.id} (${program})\n\n${table}\n`);
  }
  // The project README's catalogue: per scenario, the newest release of each family at a glance.
  const newest = chosen.flatMap((f) => specs.filter((s) => s.family === f.id).slice(-1).map((s) => s.label));
  const catalogue = catalogueTable(scenarios, results, newest);
  if (options.write && plan.wholeCatalogue && CATALOGUE_WRITABLE) {
    // regress's README lists regress's catalogue only, whatever project folders this run also had.
    const own = catalogueTable(scenarios.filter((s) => !s.origin), results, newest);
    await writeBetween(ROOT_README, CATALOGUE_START, CATALOGUE_END, own, '## Scenarios');
    process.stderr.write('[tables] wrote README.md (scenario catalogue)\n');
  } else if (!options.json) {
    process.stdout.write(`\n### catalogue\n\n${catalogue}\n`);
  }
  if (options.json) process.stdout.write(`${JSON.stringify({ tables, catalogue }, null, 2)}\n`);
  return results.some((r) => r.verdict === 'error') ? EXIT.error : EXIT.ok;
}

/**
 * One client program's table: a row per release of the families that run it (`members`), the companions
 * each release was installed with under "with".
 */
export function versionTable(scenario: Scenario, results: CaseResult[], clients: string[], members: ClientFamily[]): string {
  const cases = scenario.cases.map((c) => c.name);
  // The first row's environment, not whichever result finished first: the stamp must not depend on the
  // order cases finished in (a merged run's shards finish in another), and an npm family's releases may run
  // on several Nodes (the full table of 2026-12-06 stamped undici's tables Node 19.8.1 in one run and Node
  // 18.20.8 in its shards' merge).
  const any = clients.map((c) => results.find((r) => r.client === c && r.installed)).find(Boolean) ?? results.find((r) => r.installed);
  const whole = members.filter((f) => f.tables.everyReleaseOfNewestSeries).map((f) => f.id);
  // npm families name the Node release they ran on (a row of node:http is itself a Node release).
  const ranOn = members.some((f) => f.runtime === 'npm')
    ? members.every((f) => f.nodeIsRelease) ? '' : `Node ${any?.installed?.node ?? '?'}, `
    : `Python ${any?.installed?.python ?? '?'} (${any?.installed?.openssl ?? '?'}), `;
  const series = members.every((f) => f.tables.series === 'major') ? 'major' : 'minor';
  const stamp =
    `Generated by \`npx regress tables --write\` on ${new Date().toISOString().slice(0, 10)}, ` +
    `${ranOn}${process.platform}-${process.arch}. ` +
    `Each row is the newest release of its ${series} series${whole.length ? ` (and every release of the newest ${whole.join(' and ')} series)` : ''}; ✅ fixed, ❌ reproduced, ➖ not applicable, ⚠️ error.`;
  const companions = [...new Set(members.flatMap((f) => f.companions))];
  const rows = clients.map((client) => {
    const installed = results.find((r) => r.client === client && r.installed)?.installed?.packages;
    const core = installed ? companions.map((k) => installed[k] && `${k} ${installed[k]}`).filter(Boolean).join(', ') : '';
    const cells = cases.map((c) => {
      const r = results.find((x) => x.client === client && x.case === c);
      return r ? `${SYMBOL[r.verdict]} ${WORD[r.verdict]}` : '—';
    });
    return `| ${client.replace(/==|@/, ' ')} | ${core || '—'} | ${cells.join(' | ')} |`;
  });
  return [stamp, '', `| release | with | ${cases.join(' | ')} |`, `|---|---|${cases.map(() => '---').join('|')}|`, ...rows].join('\n');
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
      // In the scenario's case order, not the order cases finished in: a merged run's shards finish in
      // another order than one run, and the catalogue must come out the same.
      const named = scenario.cases.map((c) => c.name).filter((name) => hit.some((r) => r.case === name));
      if (hit.length) return `${SYMBOL[v]} ${WORD[v]}${hit.length < mine.length ? ` (${named.join(', ')})` : ''}`;
    }
    return mine.every((r) => r.verdict === 'not-applicable') ? `${SYMBOL['not-applicable']} n/a` : `${SYMBOL.fixed} fixed`;
  };
  const issue = (url: string): string => {
    const m = /github\.com\/([^/]+)\/([^/]+)\/(?:issues|pull)\/(\d+)/.exec(url);
    if (m) return `[${m[2]} #${m[3]}](${url})`;
    const advisory = /github\.com\/([^/]+)\/([^/]+)\/security\/advisories\/(GHSA-[\w-]+)/.exec(url);
    return advisory ? `[${advisory[2]} ${advisory[3]}](${url})` : url;
  };
  const header = `| scenario | status | upstream | cases | broken → fixed (measured) | ${newest.map((c) => c.replace(/==|@/, ' ')).join(' | ')} |`;
  const rows = scenarios.map((s) => {
    const cells = [
      `[\`${s.meta.id}\`](scenarios/${s.meta.id}/)`,
      overallStatus(s),
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
  tables: Record<string, Record<string, string>>,
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
    for (const [program, table] of Object.entries(tables[scenario.meta.id] ?? {})) await writeTable(scenario, program, table);
    log(`wrote ${join('scenarios', scenario.meta.id, 'README.md')}`);
  }
  return printed;
}

async function writeTable(scenario: Scenario, program: string, table: string): Promise<void> {
  const [start, end] = tableMarkers(program);
  const heading = start === TABLE_START ? '## Version table' : `## Version table: ${program}`;
  await writeBetween(join(scenario.dir, 'README.md'), start, end, table, heading);
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
