// What every command module shares: exit codes, the options each running command takes, and how a
// command runs a session. Command modules import this, never main.ts, so the CLI has no import cycle.
import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_CONCURRENCY } from '../runner.ts';
import { BadInput, type SessionOptions } from '../session.ts';
import { parseShard, type ShardSpec } from '../shard.ts';
import type { CaseResult, Scenario } from '../types.ts';
import { progressPrinter } from './output.ts';

export { openCache } from './targets.ts';

export const EXIT = { ok: 0, reproduced: 1, error: 2, interrupted: 130 } as const;

export function exitCodeFor(results: CaseResult[]): number {
  // A reproduction wins over an error: a gate that exits 2 invites a retry that would hide it.
  if (results.some((r) => r.verdict === 'reproduced')) return EXIT.reproduced;
  if (results.some((r) => r.verdict === 'error')) return EXIT.error;
  return EXIT.ok;
}

/** A run's exit code: a reproduction shows even when the run was interrupted or had errors. */
export function exitCodeAfter(outcome: { results: CaseResult[]; interrupted: boolean }): number {
  const code = exitCodeFor(outcome.results);
  if (code === EXIT.reproduced) return code;
  return outcome.interrupted ? EXIT.interrupted : code;
}

export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer.');
  return n;
}

/** `--shard K/N` for the commands whose planned jobs split into shards (run, tables); `regress merge` joins them. */
export function shardOption(): Option {
  return new Option('--shard <K/N>', 'run only shard K of N of the planned jobs (the same split on every machine); `regress merge` joins the shards\' reports').argParser((value: string): ShardSpec => {
    const parsed = parseShard(value);
    if ('problem' in parsed) throw new InvalidArgumentError(`${parsed.problem}.`);
    return parsed;
  });
}

/** A shard exists to be merged: its report is its output. */
export function checkShardReport(options: { shard?: ShardSpec; report: boolean }): void {
  if (options.shard && !options.report) throw new BadInput("--shard writes the report that `regress merge` joins: it cannot go with --no-report");
}

export interface CommonOptions {
  /** The project's scenario folders (harness/cli/scenario-folders.ts). */
  scenarios?: string[];
  python?: string[];
  /** Node releases the npm clients run on (--node). */
  node?: string[];
  concurrency: number;
  reports: string;
  report: boolean;
  json?: boolean;
}

/** The runtime choice, for commands that run clients of any kind. */
export function withRuntime(command: Command): Command {
  return command
    .addOption(new Option('--runtime <kind>', 'where clients run').choices(['venv', 'container']).default('venv'))
    .addOption(new Option('--image <name>', 'container runtime: test the client installed in this image (repeatable)').argParser(collect))
    .option('--image-python <path>', 'container runtime: the image\'s interpreter', 'python3')
    .option('--image-family <id>', "container runtime: the client family to test in the image (default: the one installed; requests beside urllib3 is requests)");
}

/** A project's scenario folders beside the catalogue (every command that loads scenarios takes it). */
export function scenarioFoldersOption(): Option {
  return new Option('--scenarios <dir>', "a project's scenario folder, run beside the built-in ones (repeatable; default: the \"scenarios\" of the nearest regress.config.json)").argParser(collect);
}

/** Options every running command shares. */
export function withCommon(command: Command): Command {
  return command
    .addOption(scenarioFoldersOption())
    .option('--json', 'print JSON on stdout')
    .addOption(
      new Option('--python <path|version>', 'venv: the interpreter environments are built from (default python3 or $REGRESS_PYTHON); container: a Python version such as 3.13 (repeatable)').argParser(collect),
    )
    .addOption(new Option('--node <release>', 'npm clients: the Node release each runs on, e.g. 20 or 22.23.3, installed from npm (repeatable: every npm client on each; for node-http and fetch it is the release under test; default: the Node running regress)').argParser(collect))
    .addOption(new Option('--concurrency <n>', 'cases running at once').default(DEFAULT_CONCURRENCY).argParser(positiveInt))
    .option('--reports <dir>', 'where reports/<run-id>/ is written', 'reports')
    .option('--no-report', 'write no report files');
}

/** How the CLI's commands run a session: progress on stderr, reports unless --no-report. */
export function sessionOptions(options: CommonOptions, dispose?: () => Promise<void>): SessionOptions {
  return {
    concurrency: options.concurrency,
    reportRoot: options.report ? options.reports : null,
    command: `regress ${process.argv.slice(2).join(' ')}`,
    onEvent: progressPrinter(),
    ...(dispose ? { dispose } : {}),
  };
}

/** Cases of the selected scenarios; an unknown case name is bad input. */
export function checkCases(scenarios: Scenario[], cases: string[]): void {
  const known = new Set(scenarios.flatMap((s) => s.cases.map((c) => c.name)));
  const unknown = cases.find((c) => !known.has(c));
  if (unknown) throw new BadInput(`unknown case '${unknown}' (known: ${[...known].join(', ')})`);
}

export function sortResults(results: CaseResult[]): CaseResult[] {
  return [...results].sort(
    (a, b) => a.scenario.localeCompare(b.scenario) || a.case.localeCompare(b.case) || a.client.localeCompare(b.client),
  );
}

