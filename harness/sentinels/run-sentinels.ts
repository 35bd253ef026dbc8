// `regress sentinels` without the printing: build every selected sentinel's wheels (and one unpatched
// rebuild per client line), run the cases they name through the ordinary session (runner, reports), and
// compare each verdict with what it must be: `reproduced` for a sentinel, `fixed` for the unpatched rebuild.
import pLimit from 'p-limit';
import { type Job, targetFor } from '../runner.ts';
import { NpmCache } from '../runtime/npm-env.ts';
import type { EnvironmentCache } from '../runtime/python-env.ts';
import type { ClientTarget } from '../runtime/target.ts';
import { runSession, type SessionOptions } from '../session.ts';
import type { CaseResult, Scenario, Verdict } from '../types.ts';
import { localLabel, UNPATCHED, type SentinelVariant } from './definition.ts';
import { CLIENT_LINES, type ClientLine, lineDefinition } from './lines.ts';
import { family } from '../families.ts';
import { programFor, statusFor } from '../scenario-families.ts';
import { type ExpectedCase, loadSentinels, resolveExpected } from './load.ts';
import { type BuiltPackage, sentinelBuilders, type SentinelBuilders } from './builders.ts';
import { SentinelTarballs } from './tarball-builder.ts';
import { describeStale, type SentinelWheels } from './wheel-builder.ts';

/** Ctrl-C or SIGTERM before any case started. */
export class SentinelsInterrupted extends Error {}

export interface SentinelRunOptions {
  /** Every scenario (expectations may name cases of scenarios outside the selection). */
  all: Scenario[];
  /** The scenarios whose sentinels run; their cases all run on the unpatched rebuilds. */
  selected: Scenario[];
  lines?: ClientLine[];
  /** Releases to patch instead of the newest, by distribution name. */
  releases?: Record<string, string>;
  cache: EnvironmentCache;
  /** Builds the sentinels of Python families. */
  wheels: SentinelWheels;
  /** Builds the sentinels of npm families (default: in the environment cache's folder). */
  tarballs?: SentinelTarballs;
  /** Installs npm specs (default: in the environment cache's folder). */
  npm?: NpmCache;
  session: SessionOptions;
  onProgress?: (line: string) => void;
}

/** One verdict compared with what it must be. */
export interface SentinelCheck {
  role: 'sentinel' | 'unpatched';
  /** The scenario that declares the sentinel (for unpatched checks: the case's scenario). */
  declaredIn: string;
  /** Sentinel id, or `unpatched`. */
  sentinel: string;
  line: ClientLine;
  /** What was built, e.g. `httpx 0.28.1+sentinel.closeleak`. */
  build: string;
  /** The client spec the cases ran against (the `client` of the results). */
  client: string;
  scenario: string;
  case: string;
  /** `not-applicable` only for an unpatched rebuild whose family cannot express the case, as on the real release. */
  expected: 'reproduced' | 'fixed' | 'not-applicable';
  /** null when the case did not finish (interrupted). */
  verdict: Verdict | null;
  ok: boolean;
  reason: string;
  /**
   * The verdict says nothing about the sentinel: the environment reported other versions than the build,
   * or (open-upstream scenarios) the real release the rebuild is compared with gave no usable verdict.
   */
  wrongBuild: boolean;
}

export interface StaleSentinel {
  declaredIn: string;
  sentinel: string;
  line: ClientLine;
  package: string;
  version: string;
  message: string;
}

export interface SentinelRunOutcome {
  checks: SentinelCheck[];
  stale: StaleSentinel[];
  /** Selected scenarios that declare no sentinel: nothing proves they still catch their failure. */
  unguarded: string[];
  results: CaseResult[];
  interrupted: boolean;
  reportDir: string | null;
  /** The releases that were patched, by distribution name. */
  releases: Record<string, string>;
}

interface PlannedBuild {
  /** `reference`: the real releases, run only to tell what the unpatched rebuild must match (see below). */
  role: 'sentinel' | 'unpatched' | 'reference';
  declaredIn: string;
  sentinel: string;
  line: ClientLine;
  build: string;
  target: ClientTarget;
  expected: ExpectedCase[];
  /** The versions the environment must report, so a resolver that picked something else is caught. */
  versions: Record<string, string>;
}

export async function runSentinels(options: SentinelRunOptions): Promise<SentinelRunOutcome> {
  const progress = options.onProgress ?? (() => undefined);
  // A line's family record says how its packages are built: wheels, or npm tarballs.
  let npm = options.npm;
  const builders = sentinelBuilders(options.wheels, options.cache, options.tarballs ?? new SentinelTarballs(options.cache.root), () => (npm ??= new NpmCache(options.cache.root)));
  for (const builder of builders.all()) await builder.sweep();
  const declared = (await loadSentinels(options.selected)).filter(({ sentinel }) =>
    sentinel.variants.some((v) => !options.lines || options.lines.includes(v.line)),
  );
  const variants = declared.flatMap((d) =>
    d.sentinel.variants
      .filter((v) => !options.lines || options.lines.includes(v.line))
      .map((variant) => ({ ...d, variant, expected: resolveExpected(variant.expect ?? d.sentinel.expect, d.scenario, options.all, d.sentinel.id) })),
  );
  // Every line a selected scenario covers runs its unpatched rebuild, even where no scenario declares a
  // sentinel for it.
  const lines = options.lines ?? (Object.keys(CLIENT_LINES) as ClientLine[]).filter((l) => options.selected.some((s) => programFor(s, family(l))));
  // A scenario only families without a line cover (node:http, the built-in fetch: the Node release is the
  // client) cannot declare a sentinel, so it is not named as unguarded.
  const guardable = (s: Scenario): boolean => Object.keys(CLIENT_LINES).some((l) => programFor(s, family(l)));
  const unguarded = options.selected.filter((s) => guardable(s) && !declared.some((d) => d.scenario === s)).map((s) => s.meta.id);
  if (unguarded.length) progress(`no sentinels declared by: ${unguarded.join(', ')}`);

  // The newest release of every package of the lines in play (or the one asked for).
  const packages = [...new Set(lines.flatMap((l) => lineDefinition(l).packages))];
  const registryOf = (name: string) => builders.forLine(lines.find((l) => lineDefinition(l).packages.includes(name))!);
  const versions = await Promise.all(packages.map(async (name) => options.releases?.[name] ?? (await registryOf(name).newest(name))));
  const releases: Record<string, string> = Object.fromEntries(packages.map((name, i) => [name, versions[i]!]));
  progress(`releases: ${packages.map((p) => `${p} ${releases[p]}`).join(', ')}`);
  // Builds are announced one by one; those that come from the cache only as a count, once.
  let cached = 0;
  const announce = (what: { created: boolean; version: string }, name: string): void => {
    if (what.created) progress(`built ${name} ${what.version}`);
    else cached++;
  };

  // Ctrl-C (or SIGTERM) while wheels and tarballs download and build stops pip, npm and the rebuild
  // script; their private build folders are removed as they fail, and the command says it was interrupted.
  // (Once cases run, the session handles interruption as in any run.)
  const stop = new AbortController();
  // `on`, not `once`: npx forwards the terminal's SIGINT, so one Ctrl-C can arrive twice.
  const onSignal = (): void => stop.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const interrupted = new Promise<void>((resolve) => stop.signal.addEventListener('abort', () => resolve()));
  const signal = stop.signal;

  const limit = pLimit(4);
  const stale: StaleSentinel[] = [];
  const planned: PlannedBuild[] = [];

  const spec = (line: ClientLine, files: Record<string, string>): ClientTarget => {
    // The patched package as a local wheel or tarball, the line's others pinned to the release the sentinel targets.
    const builder = builders.forLine(line);
    const requirements = lineDefinition(line).packages.map((p) => (files[p] ? builder.installs(p, files[p]!) : builder.pins(p, releases[p]!)));
    return builder.target(requirements.join(' '));
  };

  // The real newest releases of a line, as the reference its rebuilds are compared with.
  const reference = (line: ClientLine, expected: ExpectedCase[]): PlannedBuild => ({
    role: 'reference',
    declaredIn: '',
    sentinel: 'reference',
    line,
    build: lineDefinition(line).packages.map((p) => `${p} ${releases[p]}`).join(' + '),
    target: spec(line, {}),
    expected,
    versions: pick(releases, lineDefinition(line).packages),
  });

  const builds = Promise.all([
    ...variants.map(({ scenario, sentinel, variant, expected }) =>
      limit(async () => {
        const built = await buildVariant(builders, variant, sentinel.id, releases[variant.package]!, progress, announce, signal);
        if (built.kind === 'stale') {
          stale.push({
            declaredIn: scenario.meta.id,
            sentinel: sentinel.id,
            line: variant.line,
            package: variant.package,
            version: releases[variant.package]!,
            message: built.message,
          });
          return;
        }
        planned.push({
          role: 'sentinel',
          declaredIn: scenario.meta.id,
          sentinel: sentinel.id,
          line: variant.line,
          build: `${variant.package} ${built.version}`,
          target: spec(variant.line, { [variant.package]: built.file }),
          expected,
          versions: { ...pick(releases, lineDefinition(variant.line).packages), [variant.package]: built.version },
        });
      }),
    ),
    // The unpatched rebuild of every package of the line: proves the pipeline itself changes no verdict.
    ...lines.map((line) =>
      limit(async () => {
        const files: Record<string, string> = {};
        const versions: Record<string, string> = {};
        for (const name of lineDefinition(line).packages) {
          const built = await builders.forLine(line).rebuild(name, releases[name]!, localLabel(UNPATCHED), [], signal);
          if (built.kind === 'stale') throw new Error(`an unpatched rebuild of ${name} reported stale edits`);
          announce(built, name);
          files[name] = built.file;
          versions[name] = built.version;
        }
        const cases = unpatchedCases(options.selected.filter((s) => programFor(s, family(line))), variants.filter((v) => v.variant.line === line).flatMap((v) => v.expected));
        planned.push({
          role: 'unpatched',
          declaredIn: '',
          sentinel: UNPATCHED,
          line,
          build: `${lineDefinition(line).packages.map((p) => `${p} ${releases[p]}+${localLabel(UNPATCHED)}`).join(' + ')}`,
          target: spec(line, files),
          expected: cases,
          versions,
        });
        // An open-upstream scenario still fails on the newest release, so its unpatched rebuild must give
        // what the real release gives (the rebuild changes no verdict), not `fixed`.
        const open = cases.filter((c) => statusFor(c.scenario, line) === 'open-upstream');
        if (open.length) {
          planned.push(reference(line, open));
        }
      }),
    ),
  ]);

  try {
    await Promise.race([builds, interrupted]);
    if (signal.aborted) {
      // Let every build notice and clean up its folder before the command exits.
      await Promise.allSettled([builds]);
      throw new SentinelsInterrupted('interrupted while building sentinel wheels; no case ran');
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (cached) progress(`${cached} sentinel build(s) from the cache`);

  // A scenario's required extras (httpx[http2]) are added as in any run; results keep the build's label.
  const jobs: Job[] = planned.flatMap((p) =>
    p.expected.map(({ scenario, case: name }) => ({
      scenario,
      case: scenario.cases.find((c) => c.name === name)!,
      client: targetFor(scenario, p.target, p.line),
    })),
  );
  // Same order as any run: the longest unavoidable waits first.
  const ordered = [...jobs].sort((a, b) => b.case.unavoidableWaitMs - a.case.unavoidableWaitMs);
  const outcome = ordered.length
    ? await runSession(ordered, options.session)
    : { results: [], interrupted: false, reportDir: null };

  const resultOf = (p: PlannedBuild, scenario: Scenario, name: string) =>
    outcome.results.find((r) => r.client === p.target.label && r.scenario === scenario.meta.id && r.case === name);
  // A case a family cannot express (requests and urllib3 have no keep-alive expiry to set) is not-applicable
  // on the unpatched rebuild: it must be so on the real release as well (the rebuild changes no verdict), so
  // those cases alone run once more on the real newest releases, without a report of their own.
  const inexpressible = planned
    .filter((p) => p.role === 'unpatched')
    .map((p) => ({ line: p.line, cases: p.expected.filter(({ scenario, case: name }) => resultOf(p, scenario, name)?.verdict === 'not-applicable') }))
    .filter(({ cases }) => cases.length);
  const notApplicableReferences: PlannedBuild[] = inexpressible.map(({ line, cases }) => reference(line, cases));
  if (notApplicableReferences.length && !outcome.interrupted) {
    const again = await runSession(
      notApplicableReferences.flatMap((p) => p.expected.map(({ scenario, case: name }) => ({
        scenario,
        case: scenario.cases.find((c) => c.name === name)!,
        client: targetFor(scenario, p.target, p.line),
      }))),
      { ...options.session, reportRoot: null },
    );
    outcome.results.push(...again.results);
    outcome.interrupted ||= again.interrupted;
  }
  const checks = planned.flatMap((p) => {
    if (p.role === 'reference') return [];
    const role = p.role;
    const reference = planned.find((r) => r.role === 'reference' && r.line === p.line);
    const naReference = notApplicableReferences.find((r) => r.line === p.line);
    return p.expected.map(({ scenario, case: name }): SentinelCheck => {
      const result = resultOf(p, scenario, name);
      let expected: SentinelCheck['expected'] = role === 'sentinel' ? 'reproduced' : 'fixed';
      let problem: string | null = result?.installed ? wrongVersions(p.versions, result.installed.packages) : null;
      if (role === 'unpatched' && statusFor(scenario, p.line) === 'open-upstream' && reference) {
        const real = resultOf(reference, scenario, name);
        if (real?.verdict === 'fixed' || real?.verdict === 'reproduced') expected = real.verdict;
        else problem ??= `the real release ${reference.build} (open upstream) gave ${real?.verdict ?? 'nothing'}: ${real?.evidence.reason ?? 'did not finish'}`;
      }
      if (role === 'unpatched' && result?.verdict === 'not-applicable' && naReference) {
        const real = resultOf(naReference, scenario, name);
        if (real?.verdict === 'not-applicable') expected = 'not-applicable';
      }
      const wrongBuild = problem;
      return {
        role,
        declaredIn: p.role === 'sentinel' ? p.declaredIn : scenario.meta.id,
        sentinel: p.sentinel,
        line: p.line,
        build: p.build,
        client: p.target.label,
        scenario: scenario.meta.id,
        case: name,
        expected,
        verdict: result?.verdict ?? null,
        ok: result?.verdict === expected && !wrongBuild,
        reason: wrongBuild ?? result?.evidence.reason ?? 'did not finish',
        wrongBuild: wrongBuild !== null,
      };
    });
  });
  checks.sort(
    (a, b) =>
      Number(a.role === 'unpatched') - Number(b.role === 'unpatched') ||
      a.declaredIn.localeCompare(b.declaredIn) ||
      a.sentinel.localeCompare(b.sentinel) ||
      a.line.localeCompare(b.line) ||
      a.scenario.localeCompare(b.scenario) ||
      a.case.localeCompare(b.case),
  );
  stale.sort((a, b) => a.declaredIn.localeCompare(b.declaredIn) || a.sentinel.localeCompare(b.sentinel) || a.line.localeCompare(b.line));
  return { checks, stale, unguarded, results: outcome.results, interrupted: outcome.interrupted, reportDir: outcome.reportDir, releases };
}

async function buildVariant(
  builders: SentinelBuilders,
  variant: SentinelVariant,
  id: string,
  version: string,
  progress: (line: string) => void,
  announce: (what: { created: boolean; version: string }, name: string) => void,
  signal: AbortSignal,
): Promise<BuiltPackage | { kind: 'stale'; message: string }> {
  const built = await builders.forLine(variant.line).rebuild(variant.package, version, localLabel(id), variant.edits, signal);
  if (built.kind === 'stale') {
    const message = `${variant.package} ${version} ${describeStale(built.problems)}`;
    progress(`stale: sentinel ${id} (${variant.line} line): ${message}`);
    return { kind: 'stale', message };
  }
  announce(built, variant.package);
  return built;
}

function pick(all: Record<string, string>, names: string[]): Record<string, string> {
  return Object.fromEntries(names.map((n) => [n, all[n]!]));
}

function wrongVersions(wanted: Record<string, string>, installed: Record<string, string | null>): string | null {
  const wrong = Object.entries(wanted).filter(([name, version]) => installed[name] !== version);
  return wrong.length
    ? `the environment holds ${wrong.map(([n, v]) => `${n} ${installed[n] ?? 'nothing'} instead of ${v}`).join(', ')}`
    : null;
}

/** Every case of the selected scenarios, plus those the line's sentinels expect elsewhere. */
function unpatchedCases(selected: Scenario[], expected: ExpectedCase[]): ExpectedCase[] {
  const cases = selected.flatMap((scenario) => scenario.cases.map((c) => ({ scenario, case: c.name })));
  for (const e of expected) {
    if (!cases.some((c) => c.scenario === e.scenario && c.case === e.case)) cases.push(e);
  }
  return cases;
}

/**
 * 1 when the gate got a verdict wrong (a sentinel not caught, an unpatched rebuild not fixed), else 2 when
 * something could not be judged (stale sentinels, errors), else 0. A wrong verdict is the failure this
 * command exists to find, so it wins over errors, as `reproduced` wins in `regress run`.
 */
export function sentinelExitCode(outcome: Pick<SentinelRunOutcome, 'checks' | 'stale'>): 0 | 1 | 2 {
  const wrong = outcome.checks.some((c) => c.verdict !== null && c.verdict !== 'error' && !c.wrongBuild && !c.ok);
  if (wrong) return 1;
  if (outcome.stale.length || outcome.checks.some((c) => !c.ok)) return 2;
  return 0;
}
