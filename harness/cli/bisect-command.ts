// `regress bisect`: first fixed release of a package for one scenario case, from the package index.
import pLimit from 'p-limit';
import { families, family, familyOfDistribution, interpreterReason, programExtension, specName } from '../families.ts';
import { programFor } from '../scenario-families.ts';
import { type BisectReport, bisectReleases, type Probe } from '../bisect.ts';
import { listReleasesOf, selectReleases, seriesEnds } from '../package-index.ts';
import { planJobs } from '../runner.ts';
import { selectScenarios } from '../scenarios.ts';
import { scenariosFor } from './scenario-folders.ts';
import { BadInput, runSession } from '../session.ts';
import { type ClientSpec, normaliseName, parseClientSpec } from '../spec.ts';
import { versionScheme } from '../version-schemes.ts';
import { type CommonOptions, EXIT, openCache } from './common.ts';
import { clientTargets } from './targets.ts';

interface BisectOptions extends CommonOptions {
  scenario: string;
  case?: string;
  package: string;
  from?: string;
  to?: string;
  with?: string;
  pre?: boolean;
  includeYanked?: boolean;
}

class Interrupted extends Error {}

export async function bisectCommand(options: BisectOptions): Promise<number> {
  const [scenario] = selectScenarios(await scenariosFor(options), [options.scenario]);
  const caseNames = scenario!.cases.map((c) => c.name);
  const caseName = options.case ?? (caseNames.length === 1 ? caseNames[0] : undefined);
  if (!caseName) throw new BadInput(`scenario ${options.scenario} has several cases: pass --case (${caseNames.join(', ')})`);
  if (!caseNames.includes(caseName)) throw new BadInput(`unknown case '${caseName}' (known: ${caseNames.join(', ')})`);
  const pkg = normaliseName(options.package);
  // Node releases (node-http, fetch) are installed as the npm package of the runtime, not bisected by package.
  const nodeRelease = families().find((f) => f.nodeIsRelease && (f.distribution === pkg || f.id === pkg));
  if (nodeRelease) {
    throw new BadInput(`bisect does not search Node releases yet: run the scenario on a few (--client ${specName(nodeRelease)}@20 --client ${specName(nodeRelease)}@22 ...) instead`);
  }
  if (options.node?.length && !families().some((f) => f.runtime === 'npm' && (f.distribution === pkg || f.companions.includes(pkg)))) {
    throw new BadInput(`--node applies to npm packages; ${pkg} is a Python package`);
  }
  // An npm package (a family's or a companion's) is bisected over npm's releases, by semver.
  const runtime = families().some((f) => f.runtime === 'npm' && (f.distribution === pkg || f.companions.includes(pkg))) ? 'npm' : 'python';
  const scheme = versionScheme(runtime);
  const extra = [options.with?.trim() ?? '', ...(runtime === 'npm' && options.node?.length === 1 ? [`node@${options.node[0]}`] : [])].filter(Boolean).join(' ');
  if (runtime === 'npm' && (options.node?.length ?? 0) > 1) throw new BadInput('bisect takes one --node: run it once per Node release');
  const specAt = (version: string): ClientSpec => parseClientSpec(`${pkg}${runtime === 'npm' ? '@' : '=='}${version} ${extra}`.trim());
  // A malformed --with, or a probe spec naming no client under test, is bad input: fail before the index.
  const probeFamily = family(specAt(runtime === 'npm' ? '0.0.0' : '0').family);
  if (!programFor(scenario!, probeFamily)) {
    throw new BadInput(`scenario ${options.scenario} does not cover the ${probeFamily.id} family (no clients/${probeFamily.contract.program}${programExtension(probeFamily)}): nothing to bisect`);
  }

  const releases = await listReleasesOf(runtime, pkg);
  // Without --from, a client's bisection starts where its family's client contract does (families/<id>/family.json).
  // Only for the client under test itself: a companion (urllib3 beside --with requests) is bisected over
  // every release the resolver accepts, not over the range of its own family's contract.
  const contract = !options.from && probeFamily.distribution === pkg ? familyOfDistribution(pkg) : undefined;
  for (const bound of [options.from, options.to]) {
    if (bound !== undefined && !scheme.valid(bound)) throw new BadInput(`'${bound}' is not a ${runtime === 'npm' ? 'semver' : 'PEP 440'} version`);
  }
  const inRange = selectReleases(releases, {
    ...(options.from ? { from: options.from } : {}),
    ...(options.to ? { to: options.to } : {}),
    includePrereleases: Boolean(options.pre),
    includeYanked: Boolean(options.includeYanked),
  }, scheme).filter((v) => !contract || scheme.satisfies(v, contract.supported));
  const cache = runtime === 'python' ? await openCache(options) : null;
  // Releases that need a newer Python (or Node) than the one they would run on cannot be probed here:
  // left out, and said so.
  const runsOn = cache ? cache.python.version : (specAt('0.0.0').node ?? process.versions.node);
  const needNewer = contract && !/^\d+$/.test(runsOn) ? inRange.filter((v) => interpreterReason(contract, v, runsOn)) : [];
  if (needNewer.length) {
    process.stderr.write(`[bisect] ${pkg}: ${needNewer.length} release(s) need a newer ${cache ? 'Python' : 'Node'} than ${runsOn} and are left out (${span(needNewer)})\n`);
    inRange.splice(0, inRange.length, ...inRange.filter((v) => !needNewer.includes(v)));
  }
  // Releases the resolver cannot install beside --with are skipped up front, as git bisect skips (npm:
  // a release that cannot install is skipped when probed).
  const resolve = pLimit(8);
  const installable = await Promise.all(inRange.map((v) => resolve(() => (cache ? cache.resolvable(specAt(v)) : Promise.resolve(true)))));
  const candidates = inRange.filter((_, i) => installable[i]);
  const uninstallable = inRange.filter((_, i) => !installable[i]);
  process.stderr.write(
    `[bisect] ${pkg}: ${releases.length} release(s) on the index; left out: ${releases.length - inRange.length} out of range, ` +
      `pre-release or yanked${contract ? ` or outside the client contract ${contract.supported}` : ''}` +
      (uninstallable.length ? `; ${uninstallable.length} that cannot be installed${extra ? ` with ${extra}` : ''} (${span(uninstallable)})` : '') +
      `\n[bisect] ${candidates.length} candidate(s) ${candidates[0]} … ${candidates.at(-1)}; ` +
      `budget ⌈log2 ${candidates.length}⌉ + 2 = ${Math.ceil(Math.log2(Math.max(2, candidates.length))) + 2} probes\n`,
  );

  const probe = async (version: string) => {
    const spec = specAt(version);
    let outcome;
    try {
      const { targets } = await clientTargets([spec], true, { runtime: 'venv', ...(options.python ? { python: options.python } : {}) });
      outcome = await runSession(planJobs([scenario!], targets, [caseName]), {
        concurrency: options.concurrency,
        reportRoot: null,
        command: 'bisect probe',
      });
    } catch (error) {
      // Cannot be installed: skipped, like any release that cannot be tested.
      if (error instanceof BadInput) return { verdict: 'error' as const, reason: error.message };
      throw error;
    }
    if (outcome.interrupted) throw new Interrupted();
    const result = outcome.results[0];
    return result ? { verdict: result.verdict, reason: result.evidence.reason } : { verdict: 'error' as const, reason: 'no result' };
  };
  let report;
  try {
    report = await bisectReleases(candidates, probe, {
    sample: (all) => seriesEnds(all, scheme),
    // Validation probes run side by side, each a whole session: four keeps installs from crowding
    // timing-sensitive cases on two cores.
    parallel: 4,
    onProbe: (p) => process.stderr.write(`${describeProbe(p)}\n`),
    });
  } catch (error) {
    if (error instanceof Interrupted) return EXIT.interrupted;
    throw error;
  }
  if (options.json) process.stdout.write(`${JSON.stringify({ package: pkg, scenario: options.scenario, case: caseName, with: extra || null, ...report }, null, 2)}\n`);
  else process.stdout.write(`${summarise(pkg, report)}\n`);
  return report.firstFixed || report.introducedIn ? EXIT.ok : EXIT.error;
}

function describeProbe(p: Probe): string {
  const word = p.outcome === 'skip' ? `skipped (${p.verdict}: ${p.reason})` : p.outcome;
  return `[bisect] ${p.phase.padEnd(8)} ${p.version}: ${word}`;
}

export function summarise(pkg: string, report: BisectReport): string {
  const lines: string[] = [];
  if (report.problem) lines.push(`bisect: cannot bisect: ${report.problem}`);
  if (report.firstFixed) {
    lines.push(
      `first fixed: ${pkg} ${report.firstFixed} (last reproduced: ${report.lastBroken}) — search took ${report.searchProbes} probe(s), budget ${report.budget}; ${report.probes.length} probe(s) with validation`,
    );
  }
  if (report.introducedIn) {
    lines.push(`regression: introduced in ${pkg} ${report.introducedIn} (last good: ${report.lastGood}); newer releases in range still reproduce`);
  }
  const skipped = report.probes.filter((p) => p.outcome === 'skip');
  if (skipped.length) lines.push(`skipped (cannot be tested): ${skipped.map((p) => `${p.version} (${p.verdict})`).join(', ')}`);
  if (!report.monotonic) {
    lines.push('history is NOT monotonic:');
    for (const a of report.anomalies) lines.push(`  - ${a.note}`);
  } else if (report.firstFixed) {
    lines.push('history is monotonic across every probed release');
  }
  const table = [...report.probes].sort((a, b) => report.candidates.indexOf(a.version) - report.candidates.indexOf(b.version));
  lines.push('probed:', ...table.map((p) => `  ${p.version.padEnd(10)} ${p.outcome.padEnd(10)} ${p.phase}`));
  return lines.join('\n');
}

function span(versions: string[]): string {
  return versions.length > 4 ? `${versions[0]} … ${versions.at(-1)}` : versions.join(', ');
}
