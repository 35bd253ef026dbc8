// `regress`: list scenarios, run them against client specs. Exit codes: 0 every verdict fixed or
// not-applicable; 1 any reproduced; 2 any error, or bad input (one line on stderr); 130 interrupted.
import { Command, CommanderError, Option } from 'commander';
import { killAllGroups } from '../runtime/process-group.ts';
import { EnvironmentCache, findPython, InstallError } from '../runtime/python-env.ts';
import { DEFAULT_CONCURRENCY, planJobs, runJobs, uniqueSpecs, prepareEnvironments } from '../runner.ts';
import { loadScenarios, selectScenarios, UnknownScenarioError } from '../scenarios.ts';
import { parseClientSpec, SpecError } from '../spec.ts';
import type { CaseResult } from '../types.ts';
import { progressPrinter, summaryLine, verdictTable } from './output.ts';

export const EXIT = { ok: 0, reproduced: 1, error: 2, interrupted: 130 } as const;

class BadInput extends Error {}

export function exitCodeFor(results: CaseResult[]): number {
  if (results.some((r) => r.verdict === 'error')) return EXIT.error;
  if (results.some((r) => r.verdict === 'reproduced')) return EXIT.reproduced;
  return EXIT.ok;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new BadInput(`--concurrency must be a positive integer, got '${value}'`);
  return n;
}

export function buildProgram(): Command {
  const program = new Command('regress')
    .description('Reproduce documented HTTP client failures against local servers and judge real releases.')
    .showHelpAfterError(false)
    .exitOverride();

  program
    .command('list')
    .description('list scenarios and their cases')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const scenarios = await loadScenarios();
      if (options.json) {
        const list = scenarios.map((s) => ({ ...s.meta, cases: s.cases.map((c) => ({ name: c.name, summary: c.summary })) }));
        process.stdout.write(`${JSON.stringify({ scenarios: list }, null, 2)}\n`);
        return;
      }
      for (const s of scenarios) {
        process.stdout.write(`${s.meta.id}  ${s.meta.title}\n  ${s.meta.upstream.issue}\n`);
        for (const c of s.cases) process.stdout.write(`    ${c.name.padEnd(12)} ${c.summary}\n`);
      }
    });

  program
    .command('run')
    .description('run scenarios against client specs (default: the latest httpx)')
    .addOption(
      new Option('-c, --client <spec>', 'client spec, e.g. "httpx==0.26.0 httpcore==1.0.2", httpx2, httpx@file:///x.whl (repeatable)')
        .argParser(collect),
    )
    .addOption(new Option('-s, --scenario <id>', 'scenario id (repeatable; default: all)').argParser(collect))
    .addOption(new Option('--case <name>', 'case name (repeatable; default: all)').argParser(collect))
    .option('--json', 'print {"results": [...]} on stdout')
    .option('--python <path>', 'Python interpreter for environments (default: python3 or $REGRESS_PYTHON)')
    .addOption(new Option('--concurrency <n>', 'cases running at once').default(DEFAULT_CONCURRENCY).argParser(positiveInt))
    .action(async (options: RunCliOptions) => {
      process.exitCode = await runCommand(options);
    });

  return program;
}

interface RunCliOptions {
  client?: string[];
  scenario?: string[];
  case?: string[];
  json?: boolean;
  python?: string;
  concurrency: number;
}

async function runCommand(options: RunCliOptions): Promise<number> {
  const started = performance.now();
  const specs = (options.client ?? ['httpx']).map(parseClientSpec);
  const scenarios = selectScenarios(await loadScenarios(), options.scenario ?? []);
  const cases = options.case ?? [];
  const knownCases = new Set(scenarios.flatMap((s) => s.cases.map((c) => c.name)));
  const unknownCase = cases.find((c) => !knownCases.has(c));
  if (unknownCase) throw new BadInput(`unknown case '${unknownCase}' (known: ${[...knownCases].join(', ')})`);
  const jobs = planJobs(scenarios, specs, cases);

  const cache = new EnvironmentCache(await findPython(options.python));
  const onEvent = progressPrinter();
  const stop = new AbortController();
  const finished: CaseResult[] = [];
  const interrupted = new Promise<number>((resolve) => {
    process.once('SIGINT', () => {
      process.stderr.write('\nregress: interrupted; stopping clients and printing what finished\n');
      stop.abort();
      killAllGroups();
      process.once('SIGINT', () => process.exit(EXIT.interrupted));
      resolve(EXIT.interrupted);
    });
  });

  // Environments first: a spec that names no real release is bad input, reported before anything runs.
  const environments = await prepareEnvironments(uniqueSpecs(jobs), { cache, onEvent });
  for (const env of environments.values()) {
    if (env instanceof InstallError && env.noSuchRelease) throw new BadInput(env.message);
  }

  const run = runJobs(jobs, {
    cache,
    environments,
    concurrency: options.concurrency,
    signal: stop.signal,
    onEvent: (event) => {
      if (event.type === 'case-done') finished.push(event.result);
      onEvent(event);
    },
  });
  const code = await Promise.race([run.then(() => undefined), interrupted]);
  const results = sortResults(finished);
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ results }, null, 2)}\n`);
  } else {
    process.stdout.write(`\n${verdictTable(results)}\n\n${summaryLine(results, performance.now() - started)}\n`);
  }
  return code ?? exitCodeFor(results);
}

function sortResults(results: CaseResult[]): CaseResult[] {
  return [...results].sort(
    (a, b) => a.scenario.localeCompare(b.scenario) || a.case.localeCompare(b.case) || a.client.localeCompare(b.client),
  );
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return Number(process.exitCode ?? 0);
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version are not errors; everything else commander rejects is bad input.
      if (error.exitCode === 0 || error.code === 'commander.helpDisplayed' || error.code === 'commander.help') return 0;
      return EXIT.error;
    }
    if (error instanceof BadInput || error instanceof SpecError || error instanceof UnknownScenarioError || error instanceof InstallError) {
      process.stderr.write(`regress: ${error.message}\n`);
      return EXIT.error;
    }
    process.stderr.write(`regress: internal error: ${(error as Error).stack ?? error}\n`);
    return EXIT.error;
  }
}
