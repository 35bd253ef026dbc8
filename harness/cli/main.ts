// `regress`: list scenarios, run them against client specs, verify a broken/fixed pair, bisect releases,
// regenerate the scenario READMEs' version tables, scaffold a project's own scenario (`new`) and hold it to
// its expectations.json (`check`). Every command
// that loads scenarios takes the project's folders (--scenarios, regress.config.json).
// Exit codes: 0 every verdict fixed or not-applicable (verify: the pair holds; bisect: boundary found);
// 1 any reproduced, whatever else happened: nothing may hide a reproduction (verify: the pair does not
// hold); 2 any error with nothing reproduced, or bad input (one line on stderr); 130 interrupted.
import { Command, CommanderError, Option } from 'commander';
import { createRequire } from 'node:module';
import { IndexError } from '../package-index.ts';
import { KnownFileError, knownLines, knownMarks, readKnownFailures, splitKnown } from '../known-failures.ts';
import { InstallError } from '../runtime/python-env.ts';
import { planJobs } from '../runner.ts';
import { REPEAT_SUFFIX, repeatedCase, repeatSummary, withRepeats } from '../soak/gate-repeat.ts';
import { ConfigError } from '../project-config.ts';
import { ScenarioSourceError, selectScenarios, UnknownScenarioError } from '../scenarios.ts';
import { BadInput, runSession } from '../session.ts';
import { parseClientSpec, SpecError } from '../spec.ts';
import { defaultFamily, families, family, FamilyError, familyIds } from '../families.ts';
import { coveredFamilies, familiesLabel, isNotCoveredReason, overallStatus, programFor, statusFor } from '../scenario-families.ts';
import type { CaseResult, ScenarioStatus } from '../types.ts';
import { lockedSpecs, singleClient } from './client-inputs.ts';
import {
  checkCases,
  checkShardReport,
  collect,
  type CommonOptions,
  EXIT,
  exitCodeAfter,
  sessionOptions,
  sortResults,
  withCommon,
  withRuntime,
  scenarioFoldersOption,
  shardOption,
} from './common.ts';
import { jobUnits, shardJobs } from '../shard-plan.ts';
import type { ShardSpec } from '../shard.ts';
import { summaryLine, verdictTable } from './output.ts';
import { newCommand } from './new-command.ts';
import { registerCheck } from './check-command.ts';
import { scenariosFor } from './scenario-folders.ts';
import { evidenceLines, sideBySide } from './side-by-side.ts';
import { phase, enablePhaseLog } from '../runtime/phase-log.ts';
import { clientTargets, type RuntimeOptions } from './targets.ts';

// Command modules load when their command runs: `regress run` does not pay for diff's, tables' or the
// image builder's imports before its first case (start-up is part of the gate's time).
const lazy = {
  bisect: () => import('./bisect-command.ts').then((m) => m.bisectCommand),
  diff: () => import('./diff-command.ts').then((m) => m.diffCommand),
  tables: () => import('./tables-command.ts').then((m) => m.tablesCommand),
  merge: () => import('./merge-command.ts').then((m) => m.mergeCommand),
  sentinels: () => import('./sentinels-command.ts').then((m) => m.sentinelsCommand),
  images: () => import('../container/images.ts'),
};


export function buildProgram(extraCommands: ((program: Command) => void)[] = []): Command {
  const program = new Command('regress')
    .description('Reproduce documented HTTP client failures against local servers and judge real releases.')
    .exitOverride()
    // The package's own version, by self-reference (package.json "exports"): right in a checkout and installed.
    .version((createRequire(import.meta.url)('regress/package.json') as { version: string }).version, '-V, --version', 'print the version of regress')
    .option('--verbose', 'log each phase with its time on stderr (as REGRESS_DEBUG=1 does)')
    .hook('preAction', (command) => {
      if (command.opts().verbose) enablePhaseLog();
      phase('command parsed', process.argv.slice(2).join(' '));
    });

  program
    .command('list')
    .description('list scenarios and their cases')
    .option('--json', 'print JSON')
    .addOption(scenarioFoldersOption())
    .action(async (options: { json?: boolean; scenarios?: string[] }) => {
      const scenarios = await scenariosFor(options);
      if (options.json) {
        // `origin`: the project's folder a scenario came from; absent for the built-in catalogue.
        const list = scenarios.map((s) => ({ ...s.meta, status: overallStatus(s), families: Object.fromEntries(coveredFamilies(s).map((f) => [f.id, statusFor(s, f.id)])), ...(s.origin ? { origin: s.origin } : {}), cases: s.cases.map((c) => ({ name: c.name, summary: c.summary, ...(repeatedCase(s) === c ? { repeat: `${c.name}${REPEAT_SUFFIX}` } : {}) })) }));
        process.stdout.write(`${JSON.stringify({ scenarios: list }, null, 2)}\n`);
        return;
      }
      // Grouped, so the gate's policy is explicit: a historic failure reproducing is a regression; an
      // open-upstream one is still live in some family's newest release (accept it per release with run --known).
      const groups: [ScenarioStatus, string][] = [
        ['historic', 'historic (fixed upstream; a reproduction is a regression)'],
        ['open-upstream', "open upstream (a family's newest release still fails; record accepted ones with run --known)"],
      ];
      for (const [status, heading] of groups) {
        const members = scenarios.filter((s) => overallStatus(s) === status);
        if (!members.length) continue;
        process.stdout.write(`${heading}\n`);
        for (const s of members) {
          process.stdout.write(`  ${s.meta.id}  ${s.meta.title}${s.origin ? `  [${s.dir}]` : ''}\n    ${s.meta.upstream.issue}\n    families: ${familiesLabel(s)}\n`);
          for (const c of s.cases) process.stdout.write(`      ${c.name.padEnd(14)} ${c.summary}\n`);
          const repeated = repeatedCase(s);
          if (repeated) process.stdout.write(`      ${`${repeated.name}${REPEAT_SUFFIX}`.padEnd(14)} ${repeatSummary()} (run's leak repetition; --no-repeat skips it)\n`);
        }
      }
    });

  withRuntime(withCommon(
    program
      .command('run')
      .description(`run scenarios against client specs (default: the latest ${defaultFamily().distribution}); several --client make a matrix; each client runs the scenarios its family covers`)
      .addOption(
        new Option('-c, --client <spec>', `client spec, e.g. "httpx==0.26.0 httpcore==1.0.2", "requests==2.32.3 urllib3==2.2.1", urllib3==2.0.5, httpx@file:///x.whl (repeatable; families: ${familyIds().join(', ')})`).argParser(collect),
      )
      .addOption(new Option('--requirements <file>', 'lock file whose pins make a client: a pinned requirements.txt, pylock.toml or uv.lock, or git:REF:PATH (repeatable)').argParser(collect))
      .addOption(new Option('-s, --scenario <id>', 'scenario id (repeatable; default: all)').argParser(collect))
      .addOption(new Option('--case <name>', 'case name (repeatable; default: all)').argParser(collect))
      .option('--no-repeat', `skip the leak repetition (by default, venv runtime, each scenario's first case whose repetition fits in 3 s also runs as CASE${REPEAT_SUFFIX}: ${repeatSummary()}; \`regress list\` names them)`)
      .option('--known <file>', 'JSON file of accepted failures ({"known": [{"scenario", "case"?, "client"? (a PEP 440 specifier: httpx>=0.28.1), "why", "measure"?}]}): they stay reproduced, marked known, in every report but do not fail the exit code')
      .addOption(shardOption()),
  )).action(async (options: CommonOptions & RuntimeOptions & { client?: string[]; requirements?: string[]; scenario?: string[]; case?: string[]; known?: string; repeat: boolean; shard?: ShardSpec }) => {
    const started = performance.now();
    checkShardReport(options);
    const explicit = Boolean(options.client || options.requirements);
    const specs = (options.client ?? (explicit ? [] : [defaultFamily().distribution])).map(parseClientSpec);
    specs.push(...(await lockedSpecs(options.requirements ?? [], options)));
    // Targets first: their workers start (clientTargets) while the scenarios load.
    const { targets, dispose } = await clientTargets(specs, explicit, options);
    phase('targets ready', targets.map((t) => t.label).join(', '));
    const all = await scenariosFor(options);
    const scenarios = selectScenarios(all, options.scenario ?? []);
    phase('scenarios loaded', String(scenarios.length));
    checkCases(scenarios, options.case ?? []);
    const known = options.known ? await readKnownFailures(options.known, all) : null;
    const knownFile = options.known;
    const marks = known && knownFile ? { known: (results: CaseResult[]) => knownMarks(splitKnown(results, known), knownFile) } : {};
    const planned = planJobs(scenarios, targets, options.case ?? []);
    // A client none of the selected scenarios covers would pass the gate having checked nothing.
    for (const target of targets) {
      if (target.family && !planned.some((j) => j.client.label === target.label)) {
        const covering = all.filter((s) => programFor(s, family(target.family!))).map((s) => s.meta.id);
        throw new BadInput(`no selected scenario covers the ${target.family} family of '${target.label}'${covering.length ? ` (scenarios that do: ${covering.join(', ')})` : ' (no scenario does yet)'}`);
      }
    }
    // The leak repetition reads the client's own /proc and a samples file on this machine: venv runtime only, as soak.
    const whole = options.repeat && options.runtime === 'venv' ? withRepeats(planned) : planned;
    // --shard: the whole plan is split the same way on every runner; this one runs its own part.
    const shard = options.shard ? shardJobs('run', whole, jobUnits(whole), options.shard, { runtime: options.runtime, python: options.python ?? [] }) : null;
    if (shard) process.stderr.write(`[run] shard ${shard.info.index}/${shard.info.count} of plan ${shard.info.plan}: ${shard.info.jobs} of ${shard.info.planJobs} cases\n`);
    const outcome = await runSession(shard?.jobs ?? whole, { ...sessionOptions(options, dispose), ...marks, ...(shard ? { shard: shard.info } : {}) }).catch((error: unknown) => {
      // Bad input noticed after reproductions (clients are prepared while others' cases run): for `run`,
      // exit 1 means "something reproduced", and nothing may hide that. Accepted failures (--known) do
      // not count, as everywhere in `run`. Other commands give exit 1 other meanings and keep exit 2.
      if (!(error instanceof BadInput)) throw error;
      const reproduced = error.found.filter((r) => r.verdict === 'reproduced');
      const fresh = known ? splitKnown(reproduced, known).fresh : reproduced;
      if (fresh.length === 0) throw error;
      process.stderr.write(`regress: ${error.message}\n`);
      for (const r of fresh) process.stderr.write(`regress: reproduced before that: ${r.scenario}/${r.case} × ${r.client}: ${r.evidence.reason}\n`);
      return null;
    });
    if (!outcome) {
      process.exitCode = EXIT.reproduced;
      return;
    }
    // An image's client, whose family was found only when it ran, that no selected scenario covers: every
    // one of its results is "does not cover". It checked nothing, and must not pass (exit 2 unless something
    // reproduced, which exit 1 says first).
    const unchecked = targets.filter((t) => {
      const mine = outcome.results.filter((r) => r.client === t.label);
      return !t.family && mine.length > 0 && mine.every((r) => r.verdict === 'not-applicable' && isNotCoveredReason(r.evidence.reason));
    });
    for (const t of unchecked) {
      const found = outcome.results.find((r) => r.client === t.label)?.installed?.module ?? 'its';
      process.stderr.write(`regress: no selected scenario covers the ${found} client of '${t.label}': nothing was checked (name its family with --image-family, or other --scenario)\n`);
    }
    const orUnchecked = (code: number): number => (code === EXIT.ok && unchecked.length ? EXIT.error : code);
    const split = known && knownFile ? splitKnown(outcome.results, known) : null;
    // With --known, --json carries the marks as results.json does (which reproductions are known, which new).
    const marked = split && knownFile ? { known: knownMarks(split, knownFile) } : {};
    if (options.json) process.stdout.write(`${JSON.stringify({ results: sortResults(outcome.results), ...marked }, null, 2)}\n`);
    else process.stdout.write(`\n${verdictTable(outcome.results)}\n\n${summaryLine(outcome.results, performance.now() - started)}\n`);
    if (outcome.reportDir) process.stderr.write(`report: ${outcome.reportDir}/report.html\n`);
    if (!split || !knownFile) {
      process.exitCode = orUnchecked(exitCodeAfter(outcome));
      return;
    }
    const out = options.json ? process.stderr : process.stdout;
    for (const line of knownLines(split, knownFile)) out.write(`${line}\n`);
    process.exitCode = orUnchecked(exitCodeAfter({ results: outcome.results.filter((r) => r.verdict !== 'reproduced' || split.fresh.includes(r)), interrupted: outcome.interrupted }));
  });

  withRuntime(withCommon(
    program
      .command('verify')
      .description('exit 0 only when --broken reproduces and --fixed is fixed, with both sides\' evidence')
      .requiredOption('-s, --scenario <id>', 'scenario id')
      .addOption(new Option('--case <name>', 'case name (repeatable; default: every case)').argParser(collect))
      .requiredOption('--broken <spec>', 'client spec (or lock file, git:REF:PATH) expected to reproduce the failure')
      .requiredOption('--fixed <spec>', 'client spec (or lock file, git:REF:PATH) expected to be fixed'),
  )).action(async (options: CommonOptions & RuntimeOptions & { scenario: string; case?: string[]; broken: string; fixed: string }) => {
    const broken = await singleClient(options.broken, options);
    const fixed = await singleClient(options.fixed, options);
    // A pair is two releases of one client: a broken httpx and a fixed urllib3 prove nothing about either.
    if (broken.family !== fixed.family) throw new BadInput(`--broken tests ${broken.family} and --fixed tests ${fixed.family}: verify compares two releases of one client family`);
    const scenarios = selectScenarios(await scenariosFor(options), [options.scenario]);
    checkCases(scenarios, options.case ?? []);
    if (options.image?.length) throw new BadInput('verify compares two client specs; --image does not apply');
    if ((options.python?.length ?? 0) > 1) throw new BadInput('verify takes one --python: run it once per Python version');
    const { targets, dispose } = await clientTargets([broken, fixed], true, options);
    const outcome = await runSession(planJobs(scenarios, targets, options.case ?? []), sessionOptions(options, dispose));
    const cases = [...new Set(outcome.results.map((r) => r.case))].sort();
    const [brokenLabel, fixedLabel] = targets.map((t) => t.label) as [string, string];
    const pick = (c: string, label: string) => outcome.results.find((r) => r.case === c && r.client === label);
    // A control case (CaseDefinition.control) must be fixed on both sides; every other case reproduced on the broken one.
    const isControl = (c: string): boolean => Boolean(scenarios[0]!.cases.find((x) => x.name === c)?.control);
    const expectedBroken = (c: string): 'fixed' | 'reproduced' => (isControl(c) ? 'fixed' : 'reproduced');
    const pairHolds = (c: string): boolean => pick(c, brokenLabel)?.verdict === expectedBroken(c) && pick(c, fixedLabel)?.verdict === 'fixed';
    const holds = cases.some((c) => !isControl(c)) && cases.every(pairHolds);
    if (options.json) {
      process.stdout.write(`${JSON.stringify({ holds, results: sortResults(outcome.results) }, null, 2)}\n`);
    } else {
      for (const c of cases) {
        const b = pick(c, brokenLabel);
        const f = pick(c, fixedLabel);
        const ok = pairHolds(c);
        process.stdout.write(`\n${options.scenario}/${c}${isControl(c) ? ' (control)' : ''}: ${ok ? 'holds' : 'DOES NOT HOLD'}\n`);
        process.stdout.write(`${sideBySide([`BROKEN ${broken.label} (expect ${expectedBroken(c)})`, ...evidenceLines(b)], [`FIXED ${fixed.label} (expect fixed)`, ...evidenceLines(f)])}\n`);
      }
      process.stdout.write(`\nverify ${options.scenario}: ${holds ? 'the pair holds' : 'the pair does not hold'}\n`);
    }
    if (outcome.interrupted) process.exitCode = EXIT.interrupted;
    else if (outcome.results.some((r) => r.verdict === 'error')) process.exitCode = EXIT.error;
    else process.exitCode = holds ? EXIT.ok : EXIT.reproduced;
  });

  const images = program.command('images').description("local images built from Debian's packages, for the container runtime");
  images
    .command('list')
    .description('the images `images build` makes')
    .action(async () => {
      const { IMAGE_RECIPES } = await lazy.images();
      const width = Math.max(...IMAGE_RECIPES.map((r) => r.tag.length)) + 2;
      for (const r of IMAGE_RECIPES) process.stdout.write(`${r.tag.padEnd(width)} Debian ${r.suite.padEnd(9)} ${r.purpose}\n`);
    });
  images
    .command('build')
    .description('build the local images (skips those present; needs a Docker engine and mmdebstrap)')
    .option('--force', 'rebuild images that exist')
    .addOption(new Option('--only <tag>', 'build only this image (repeatable)').argParser(collect))
    .action(async (options: { force?: boolean; only?: string[] }) => {
      const { buildImages, IMAGE_RECIPES } = await lazy.images();
      const unknown = options.only?.find((t) => !IMAGE_RECIPES.some((r) => r.tag === t));
      if (unknown) throw new BadInput(`unknown image '${unknown}' (known: ${IMAGE_RECIPES.map((r) => r.tag).join(', ')})`);
      const recipes = IMAGE_RECIPES.filter((r) => !options.only || options.only.includes(r.tag));
      await buildImages(recipes, { force: Boolean(options.force), onProgress: (l) => process.stderr.write(`[images] ${l}\n`) });
    });

  withCommon(
    program
      .command('bisect')
      .description('find the first fixed release of a package, skipping releases that cannot be tested')
      .requiredOption('-s, --scenario <id>', 'scenario id')
      .option('--case <name>', 'case name (required when the scenario has several)')
      .option('--package <name>', `package whose releases are bisected: a family's client (${families().filter((f) => !f.nodeIsRelease).map((f) => f.distribution).join(', ')}) or a companion beside --with (default: the default family's); not Node releases (node-http, fetch) yet`, defaultFamily().distribution)
      .option('--from <version>', 'oldest release to consider')
      .option('--to <version>', 'newest release to consider')
      .option('--with <spec>', 'requirements installed beside each probed release, e.g. "httpx==0.26.0"')
      .option('--pre', 'include pre-releases')
      .option('--include-yanked', 'include yanked releases'),
  ).action(async (options) => {
    process.exitCode = await (await lazy.bisect())(options);
  });

  withCommon(
    program
      .command('diff')
      .description('run the scenarios on a base and a head client (spec, lock file or git:REF:PATH) and print what changed; exit 1 when the head brings a failure back or makes a reproduced one worse')
      .requiredOption('--base <side>', 'client spec, lock file (requirements.txt, pylock.toml, uv.lock) or git:REF:PATH, e.g. git:origin/main:uv.lock')
      .requiredOption('--head <side>', 'the same forms, e.g. uv.lock')
      .addOption(new Option('-s, --scenario <id>', 'scenario id (repeatable; default: all)').argParser(collect))
      .addOption(new Option('--case <name>', 'case name (repeatable; default: all)').argParser(collect)),
  ).action(async (options) => {
    process.exitCode = await (await lazy.diff())(options);
  });

  withCommon(
    program
      .command('tables')
      .description("run the newest release of every minor series of each family a scenario covers, and print (or --write) each scenario README's version tables (one per client program)")
      .addOption(new Option('-s, --scenario <id>', 'scenario id (repeatable; default: all)').argParser(collect))
      .addOption(new Option('--family <id>', `client family (repeatable; default: every family; known: ${familyIds().join(', ')})`).argParser(collect))
      .option('--from <version>', "oldest release (with one --family; default: the family record's tables.from)")
      .option('--write', 'replace the generated table in each scenario README')
      .option('--catalogue', "only the README's scenario catalogue: the newest release of each family (with --write, no scenario's table is touched)")
      .addOption(shardOption()),
  ).action(async (options) => {
    process.exitCode = await (await lazy.tables())(options);
  });

  program
    .command('merge')
    .description('join the reports of `run --shard K/N` or `tables --shard K/N` (every shard of one plan) into one report; tables shards make the tables an unsharded `tables` makes (--write writes them)')
    .argument('<reports...>', "shard reports: report folders, their results.json, or folders holding them (a CI job's downloaded artifacts)")
    .option('--out <dir>', 'write the merged report into this folder (default: reports/<run-id>-merged/ under --reports)')
    .option('--reports <dir>', 'where reports/<run-id>/ is written', 'reports')
    .option('--no-report', 'write no report files')
    .option('--write', 'tables shards: replace the generated table in each scenario README, as `tables --write`')
    .option('--known <file>', 'run shards: accepted failures, as `run --known` (they stay reproduced, marked known, but do not fail the exit code)')
    .option('--json', 'print JSON on stdout')
    .addOption(scenarioFoldersOption())
    .action(async (reports: string[], options) => {
      process.exitCode = await (await lazy.merge())(reports, options);
    });

  withCommon(
    program
      .command('sentinels')
      .description('run each scenario\'s sentinels (its failure patched back into the newest wheels): every one must be reproduced, the unpatched rebuild fixed')
      .addOption(new Option('-s, --scenario <id>', 'scenario id (repeatable; default: all)').argParser(collect))
      .addOption(new Option('--line <family>', `client family whose newest wheels are patched (repeatable; default: every family a selected scenario covers; known: ${familyIds().join(', ')})`).argParser(collect))
      .addOption(new Option('--release <name==version>', 'patch this release instead of the newest (repeatable)').argParser(collect))
      .option('--list', 'explain the sentinels without running them'),
  ).action(async (options) => {
    process.exitCode = await (await lazy.sentinels())(options);
  });

  program
    .command('new')
    .description("scaffold a scenario folder that runs green against the family's latest release, and print the three places to edit")
    .argument('<id>', 'the scenario id and folder name, kebab-case (e.g. my-hang)')
    .option('--dir <folder>', 'where the scenario folder is made (default: the first "scenarios" folder of regress.config.json, else ./scenarios)')
    .option('--family <id>', `the client family its program is written for (known: ${familyIds().join(', ')}; default: ${defaultFamily().id})`)
    .action(async (id: string, options: { dir?: string; family?: string }) => {
      process.exitCode = await newCommand(id, options);
    });
  registerCheck(program);
  for (const register of extraCommands) register(program);

  return program;
}

// soak, serve and smoke bring fixtures, certificates and OpenAPI diffing with them (about a second of
// module loading on this machine): they are registered only when the command line may name them, so `run`
// and the other light commands start their work without paying for them (start-up is part of the gate).
const LIGHT_COMMANDS = new Set(['list', 'run', 'verify', 'images', 'bisect', 'diff', 'tables', 'merge', 'sentinels', 'new', 'check']);

async function registrationsFor(argv: string[]): Promise<((program: Command) => void)[]> {
  const command = argv.find((a) => !a.startsWith('-'));
  if (command === undefined && (argv.includes('--version') || argv.includes('-V'))) return [];
  if (command !== undefined && LIGHT_COMMANDS.has(command)) return [];
  const [soak, serve, smoke] = await Promise.all([import('./soak-command.ts'), import('./serve-command.ts'), import('./smoke-command.ts')]);
  return [soak.addSoakCommand, serve.registerServe, smoke.registerSmoke];
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram(await registrationsFor(argv));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return Number(process.exitCode ?? 0);
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version are not errors; everything else commander rejects is bad input.
      return error.exitCode === 0 || error.code.startsWith('commander.help') ? EXIT.ok : EXIT.error;
    }
    if (
      error instanceof BadInput ||
      error instanceof SpecError ||
      error instanceof FamilyError ||
      error instanceof UnknownScenarioError ||
      error instanceof InstallError ||
      error instanceof IndexError ||
      error instanceof KnownFileError ||
      error instanceof ScenarioSourceError ||
      error instanceof ConfigError
    ) {
      // One line per problem (a known-failures file lists each of its problems).
      for (const line of error.message.split('\n')) process.stderr.write(`regress: ${line}\n`);
      return EXIT.error;
    }
    process.stderr.write(`regress: internal error: ${(error as Error).stack ?? error}\n`);
    return EXIT.error;
  }
}
