// `regress check`: a project's scenarios against their own expectations.json, as regress's self-test holds
// the catalogue to its own. Every row (case × client spec × verdict) runs; a cell whose verdict differs
// from the row's is printed with both and fails the check, so a judge or fixture that stops catching its
// failure (or starts "catching" a fixed release) cannot pass unnoticed.
// Exit codes: 0 every cell as expected; 1 a cell differs; 2 bad input (a missing or malformed
// expectations.json, a row naming no case of its scenario) or a cell that errored with nothing differing
// otherwise (an error says nothing about the client); 130 interrupted.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Command, Option } from 'commander';
import { planJobs, targetFor } from '../runner.ts';
import { selectScenarios } from '../scenarios.ts';
import { BadInput, runSession } from '../session.ts';
import { type ClientSpec, parseClientSpec, SpecError } from '../spec.ts';
import type { Job } from '../runner.ts';
import type { CaseResult, Scenario, Verdict } from '../types.ts';
import { checkCases, collect, type CommonOptions, EXIT, sessionOptions, withCommon } from './common.ts';
import { scenariosFor } from './scenario-folders.ts';
import { clientTargets } from './targets.ts';

// `error` is no expectation: it says nothing about the client, so a row expecting it would pass a broken
// environment. A cell that errors is exit 2 whatever its row says.
const VERDICTS: readonly Verdict[] = ['fixed', 'reproduced', 'not-applicable'];
const ROW_SHAPE = '{"checks": [{"case", "client", "verdict", "why"}]}';

export interface CheckOptions extends CommonOptions {
  scenario?: string[];
  case?: string[];
}

/** One expectations.json row of one scenario. */
export interface CheckRow {
  scenario: Scenario;
  case: string;
  client: ClientSpec;
  /** The row's client as written, which is how the row is named in the output. */
  clientText: string;
  expected: Verdict;
}

/** One cell's outcome: the row and what the run gave (null: the run produced no result, interrupted). */
export interface CheckCell {
  row: CheckRow;
  got: CaseResult | null;
}

/** A scenario's expectations.json, every row checked before anything runs: bad input names file and row. */
export async function readCheckRows(scenario: Scenario): Promise<CheckRow[]> {
  const file = join(scenario.dir, 'expectations.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new BadInput(`${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): list the verdicts you expect, ${ROW_SHAPE}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new BadInput(`${file}: not valid JSON (${(error as Error).message})`);
  }
  const checks = (parsed as { checks?: unknown } | null)?.checks;
  if (!Array.isArray(checks) || checks.length === 0) throw new BadInput(`${file}: needs a non-empty "checks" list, ${ROW_SHAPE}`);
  const names = scenario.cases.map((c) => c.name);
  return checks.map((row: unknown, i) => {
    const at = `${file}: checks[${i}]`;
    const r = row as Record<string, unknown> | null;
    if (typeof r?.case !== 'string' || typeof r.client !== 'string' || typeof r.verdict !== 'string') throw new BadInput(`${at}: needs "case", "client" and "verdict" strings`);
    if (!names.includes(r.case)) throw new BadInput(`${at}: '${r.case}' is not a case of ${scenario.meta.id} (cases: ${names.join(', ')})`);
    if (!VERDICTS.includes(r.verdict as Verdict)) throw new BadInput(`${at}: verdict '${r.verdict}' is not one of ${VERDICTS.join(', ')}`);
    let client: ClientSpec;
    try {
      client = parseClientSpec(r.client);
    } catch (error) {
      if (error instanceof SpecError) throw new BadInput(`${at}: ${error.message}`);
      throw error;
    }
    return { scenario, case: r.case, client, clientText: r.client, expected: r.verdict as Verdict };
  });
}

/** Which scenarios `check` holds to their expectations: the named ones, else the project's, else the catalogue. */
export function scenariosToCheck(all: Scenario[], ids: string[]): Scenario[] {
  if (ids.length) return selectScenarios(all, ids);
  const project = all.filter((s) => s.origin);
  return project.length ? project : all;
}

/** The exit code of a check: a differing cell wins over an error, as a reproduction does in `run`. */
export function checkExitCode(cells: CheckCell[], interrupted: boolean): number {
  const differs = cells.filter((c) => c.got && c.got.verdict !== c.row.expected);
  if (differs.some((c) => c.got!.verdict !== 'error')) return EXIT.reproduced;
  if (interrupted) return EXIT.interrupted;
  if (differs.length || cells.some((c) => !c.got)) return EXIT.error;
  return EXIT.ok;
}

export async function checkCommand(options: CheckOptions): Promise<number> {
  const scenarios = scenariosToCheck(await scenariosFor(options), options.scenario ?? []);
  checkCases(scenarios, options.case ?? []);
  const rows = (await Promise.all(scenarios.map(readCheckRows))).flat().filter((r) => !options.case?.length || options.case.includes(r.case));
  if (rows.length === 0) throw new BadInput(`no expectations.json row names the case(s) ${options.case!.join(', ')}`);

  // One target per distinct client spec, shared by every row that names it (one environment each).
  const specTexts = [...new Set(rows.map((r) => r.client.label))];
  const specs = specTexts.map((label) => rows.find((r) => r.client.label === label)!.client);
  const { targets, dispose } = await clientTargets(specs, true, { runtime: 'venv', ...(options.python ? { python: options.python } : {}) });
  const targetOf = new Map(specs.map((s, i) => [s.label, targets[i]!]));
  const jobs: Job[] = [];
  const labelOf = new Map<CheckRow, string>();
  const planned = new Set<string>();
  for (const row of rows) {
    const target = targetFor(row.scenario, targetOf.get(row.client.label)!);
    labelOf.set(row, target.label);
    // Two rows for one cell (the same case and client) run it once.
    const key = `${row.scenario.meta.id}/${row.case} × ${target.label}`;
    if (planned.has(key)) continue;
    planned.add(key);
    jobs.push(...planJobs([row.scenario], [target], [row.case]));
  }
  const outcome = await runSession(jobs, sessionOptions(options, dispose));
  const cells: CheckCell[] = rows.map((row) => ({
    row,
    got: outcome.results.find((r) => r.scenario === row.scenario.meta.id && r.case === row.case && r.client === labelOf.get(row)) ?? null,
  }));
  const code = checkExitCode(cells, outcome.interrupted);
  if (options.json) {
    const json = cells.map(({ row, got }) => ({
      scenario: row.scenario.meta.id,
      case: row.case,
      client: row.clientText,
      label: labelOf.get(row),
      expected: row.expected,
      got: got?.verdict ?? null,
      holds: got?.verdict === row.expected,
      reason: got?.evidence.reason ?? null,
    }));
    process.stdout.write(`${JSON.stringify({ holds: code === EXIT.ok, cells: json }, null, 2)}\n`);
  } else {
    const out: string[] = [''];
    for (const { row, got } of cells) {
      const name = `${row.scenario.meta.id}/${row.case} × ${row.clientText}${labelOf.get(row) !== row.clientText ? ` (${labelOf.get(row)})` : ''}`;
      if (got?.verdict === row.expected) out.push(`as expected  ${name}: ${got.verdict}`);
      else out.push(`DIFFERS      ${name}: expected ${row.expected}, got ${got?.verdict ?? 'no result (interrupted)'}${got ? `: ${got.evidence.reason}` : ''}`);
    }
    const differing = cells.filter((c) => c.got?.verdict !== c.row.expected).length;
    out.push('', `check: ${cells.length} cell(s) of ${scenarios.length} scenario(s): ${cells.length - differing} as expected, ${differing} differ${differing === 0 ? '' : ' (see DIFFERS above)'}`);
    process.stdout.write(`${out.join('\n')}\n`);
  }
  if (outcome.reportDir) process.stderr.write(`report: ${outcome.reportDir}/report.html\n`);
  return code;
}

export function registerCheck(program: Command): void {
  withCommon(
    program
      .command('check')
      .description("run each scenario's expectations.json (case × client × verdict) and fail on any cell that differs; default: the project's scenarios")
      .addOption(new Option('-s, --scenario <id>', "scenario id (repeatable; default: the project's scenarios, else the built-in catalogue)").argParser(collect))
      .addOption(new Option('--case <name>', 'case name (repeatable; default: every row)').argParser(collect)),
  ).action(async (options: CheckOptions) => {
    process.exitCode = await checkCommand(options);
  });
}
