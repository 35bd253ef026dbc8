// `regress soak`: repeat one case's call path inside one client process and judge whether descriptors,
// sockets, pooled connections or objects grow with the iterations (harness/soak/).
// Exit: 0 flat (fixed) or not-applicable; 1 leak, or any iteration the case's own judge found reproduced
// (nothing may hide a reproduction); 2 error or bad input; 130 interrupted with no leak found.
import { defaultFamily, family, programExtension } from '../families.ts';
import { programFor } from '../scenario-families.ts';
import { Command, Option } from 'commander';
import { targetFor } from '../runner.ts';
import { venvTarget } from '../runtime/python-env.ts';
import { onInterrupt } from '../runtime/interrupt.ts';
import { resetStopping, stopEverything } from '../runtime/process-group.ts';
import { newRunId } from '../report/writer.ts';
import { selectScenarios } from '../scenarios.ts';
import { BadInput } from '../session.ts';
import { SentinelWheels } from '../sentinels/wheel-builder.ts';
import { LeakBuildError, sentinelSpec } from '../soak/leak-builds.ts';
import { writeSoakReport } from '../soak/report.ts';
import { runSoak, type SoakResult } from '../soak/run-soak.ts';
import { MIN_ITERATIONS } from '../soak/trend.ts';
import { parseClientSpec } from '../spec.ts';
import { collect, EXIT, openCache, positiveInt, scenarioFoldersOption } from './common.ts';
import { scenariosFor } from './scenario-folders.ts';
import { isLockInput, singleClient } from './client-inputs.ts';
import { parseDuration } from './duration.ts';

export interface SoakOptions {
  scenario: string;
  case?: string;
  scenarios?: string[];
  client?: string;
  sentinel?: string;
  release?: string[];
  iterations?: number;
  duration?: string;
  python?: string[];
  reports: string;
  report: boolean;
  json?: boolean;
}

/** --duration in seconds: the one duration grammar of every option (./duration.ts). */
export function soakSeconds(text: string): number {
  return parseDuration('--duration', text) / 1000;
}

export function soakExitCode(result: SoakResult, interrupted: boolean): number {
  if (result.verdict === 'leak' || (result.iterationVerdicts.reproduced ?? 0) > 0) return EXIT.reproduced;
  if (interrupted) return EXIT.interrupted;
  return result.verdict === 'error' ? EXIT.error : EXIT.ok;
}

export function addSoakCommand(program: Command): void {
  program
    .command('soak')
    .description("repeat one case's call path inside one client process; `leak` when descriptors, sockets, pooled connections or objects grow with the iterations")
    .requiredOption('-s, --scenario <id>', 'scenario id')
    .option('--case <name>', 'case name (required when the scenario has several)')
    .addOption(new Option('--iterations <n>', `iterations (at least ${MIN_ITERATIONS})`).argParser(positiveInt))
    .option('--duration <time>', 'soak for this long instead, e.g. 60s, 5m (a number with a unit; whole iterations; at least the time one takes)')
    .option('-c, --client <spec>', 'client spec or lock file (default: the latest httpx)')
    .option('--sentinel <scenario/id>', "soak a sentinel build instead (a scenario's sentinel patched into the release), e.g. pool-exhaustion-after-close/close-leak")
    .addOption(new Option('--release <name==version>', 'with --sentinel: build from this release instead of the newest (repeatable)').argParser(collect))
    .addOption(scenarioFoldersOption())
    .option('--json', 'print the soak result as JSON on stdout')
    .addOption(new Option('--python <path|version>', 'the interpreter environments are built from (default python3 or $REGRESS_PYTHON)').argParser(collect))
    .option('--reports <dir>', 'where reports/<run-id>/ is written', 'reports')
    .option('--no-report', 'write no report files')
    .action(async (options: SoakOptions) => {
      process.exitCode = await soakCommand(options);
    });
}

export async function soakCommand(options: SoakOptions): Promise<number> {
  // Bad input first, before anything is installed or started.
  if (options.iterations === undefined && options.duration === undefined) throw new BadInput('soak needs --iterations N or --duration TIME');
  if (options.iterations !== undefined && options.duration !== undefined) throw new BadInput('--iterations and --duration exclude each other');
  if (options.iterations !== undefined && options.iterations < MIN_ITERATIONS) {
    throw new BadInput(`--iterations ${options.iterations} is too few: at least ${MIN_ITERATIONS} tell a trend from the warm-up`);
  }
  const durationS = options.duration !== undefined ? soakSeconds(options.duration) : undefined;
  if (options.client && options.sentinel) throw new BadInput('--client and --sentinel exclude each other: a sentinel build is its own client');
  if (options.release && !options.sentinel) throw new BadInput('--release applies only with --sentinel');
  const all = await scenariosFor(options);
  const [scenario] = selectScenarios(all, [options.scenario]);
  const names = scenario!.cases.map((c) => c.name);
  if (!options.case && names.length > 1) throw new BadInput(`${options.scenario} has several cases: name one with --case (${names.join(', ')})`);
  const chosen = scenario!.cases.find((c) => c.name === (options.case ?? names[0]));
  if (!chosen) throw new BadInput(`unknown case '${options.case}' (known: ${names.join(', ')})`);

  const cache = await openCache({ ...(options.python ? { python: options.python } : {}) });
  let spec;
  if (options.sentinel) {
    const releases: Record<string, string> = {};
    for (const r of options.release ?? []) {
      const [name, version] = r.split('==');
      if (!name || !version) throw new BadInput(`--release '${r}' must be NAME==VERSION`);
      releases[name.toLowerCase()] = version;
    }
    try {
      const built = await sentinelSpec({ sentinel: options.sentinel, line: defaultFamily().id, releases }, all, new SentinelWheels(cache.python.path, cache.root));
      process.stderr.write(`[soak] sentinel build: ${built.version}\n`);
      spec = parseClientSpec(built.spec);
    } catch (error) {
      if (error instanceof LeakBuildError) throw new BadInput(error.message);
      throw error;
    }
  } else if (options.client && isLockInput(options.client)) {
    // The lock's client, its companions beside it (a requests lock's urllib3 is requests' companion).
    spec = await singleClient(options.client, { runtime: 'venv', ...(options.python ? { python: options.python } : {}) });
  } else {
    spec = parseClientSpec(options.client ?? defaultFamily().distribution);
  }
  // A family the scenario does not cover would soak nothing and pass.
  // The soak driver is Python's (harness/python/soak_driver.py): an npm client has no driver yet.
  if (family(spec.family).runtime !== 'python') {
    throw new BadInput(`soak drives Python clients; ${spec.label} is an npm client (the ${spec.family} family): nothing to soak yet`);
  }
  if (!programFor(scenario!, family(spec.family))) {
    throw new BadInput(`scenario ${scenario!.meta.id} does not cover the ${spec.family} family (no clients/${family(spec.family).contract.program}${programExtension(family(spec.family))}): nothing to soak`);
  }
  const target = targetFor(scenario!, venvTarget(cache, spec));
  process.stderr.write(`[soak] preparing ${target.label}…\n`);
  const prepared = await target.prepare((m) => process.stderr.write(`[env] ${m}…\n`));

  const stop = new AbortController();
  resetStopping();
  // Listening until the report is written (runtime/interrupt.ts).
  const stopListening = onInterrupt('stopping the client and keeping what finished', () => {
    stop.abort();
    stopEverything();
  });
  const startedAt = new Date().toISOString();
  const what = options.iterations ? `${options.iterations} iterations` : `${durationS} s`;
  process.stderr.write(`[soak] ${scenario!.meta.id}/${chosen.name} × ${prepared.label}: ${what} in one client process\n`);
  let result: SoakResult;
  let interrupted: boolean;
  let reportDir: string | null = null;
  try {
    result = await runSoak({
      scenario: scenario!,
      case: chosen,
      client: prepared,
      ...(options.iterations ? { iterations: options.iterations } : {}),
      ...(durationS ? { durationS } : {}),
      signal: stop.signal,
      onProgress: (done, p) =>
        process.stderr.write(
          `[soak] ${done}${options.iterations ? `/${options.iterations}` : ''} iterations, ${p.t.toFixed(0)} s: fds ${p.fds}, TCP ${p.tcp}, unclosed ${p.unclosed}, ` +
            `objects ${p.objects}, RSS ${p.rssKb === null ? '?' : `${(p.rssKb / 1024).toFixed(1)} MB`}\n`,
        ),
    });
    interrupted = stop.signal.aborted || result.interrupted;
    if (options.report) {
      reportDir = await writeSoakReport(options.reports, {
        run: {
          id: newRunId(),
          startedAt,
          finishedAt: new Date().toISOString(),
          interrupted,
          planned: 1,
          command: `regress ${process.argv.slice(2).join(' ')}`,
          host: { platform: `${process.platform}-${process.arch}`, node: process.version },
        },
        result,
      });
    }
  } finally {
    stopListening();
  }
  const exitCode = soakExitCode(result, interrupted);
  if (options.json) process.stdout.write(`${JSON.stringify({ soak: result, exitCode }, null, 2)}\n`);
  else {
    const per = Object.entries(result.iterationVerdicts).map(([v, n]) => `${v} ${n}/${result.iterations}`).join(', ') || '—';
    process.stdout.write(
      `\n${result.scenario}/${result.case} × ${result.client}: ${result.verdict} after ${result.iterations} iteration(s) in ${(result.durationMs / 1000).toFixed(1)} s\n` +
        `  ${result.reason}\n  per iteration (the case's own judge): ${per}\n`,
    );
  }
  if (reportDir) process.stderr.write(`report: ${reportDir}/report.html\n`);
  return exitCode;
}
