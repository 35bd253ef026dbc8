// `regress sentinels`: prove each scenario still catches its failure in today's code. Every sentinel (a
// small patch in scenarios/<id>/sentinels.ts that puts a documented failure back into the newest wheel or npm
// tarball of a family's packages) must come out `reproduced`, and the unpatched rebuild `fixed`.
// Exit: 0 all held; 1 a sentinel not caught or an unpatched rebuild not fixed; 2 stale sentinels, errors,
// bad input; 130 interrupted.
import { family } from '../families.ts';
import { programFor } from '../scenario-families.ts';
import { selectScenarios } from '../scenarios.ts';
import { scenariosFor } from './scenario-folders.ts';
import { BadInput } from '../session.ts';
import { loadSentinels } from '../sentinels/load.ts';
import { CLIENT_LINES, type ClientLine, lineDefinition } from '../sentinels/lines.ts';
import { runSentinels, sentinelExitCode, SentinelsInterrupted, type SentinelCheck, type SentinelRunOutcome } from '../sentinels/run-sentinels.ts';
import { SentinelTarballs } from '../sentinels/tarball-builder.ts';
import { SentinelWheels } from '../sentinels/wheel-builder.ts';
import { normaliseName } from '../spec.ts';
import { versionScheme } from '../version-schemes.ts';
import { type CommonOptions, EXIT, openCache, sessionOptions } from './common.ts';
import { paint } from './output.ts';
import type { Scenario } from '../types.ts';
import { join } from 'node:path';

export interface SentinelsOptions extends CommonOptions {
  scenario?: string[];
  line?: string[];
  release?: string[];
  list?: boolean;
}

export async function sentinelsCommand(options: SentinelsOptions): Promise<number> {
  // Sentinel builds run on the Node that runs regress: a --node taken and not applied would check nothing.
  if (options.node?.length) throw new BadInput('sentinels run npm builds on the Node that runs regress; --node is not supported here yet');
  const started = performance.now();
  const all = await scenariosFor(options);
  const selected = selectScenarios(all, options.scenario ?? []);
  const lines = parseLines(options.line);
  // A line no selected scenario covers would check nothing and pass.
  for (const line of lines ?? []) {
    if (!selected.some((s) => programFor(s, family(line)))) {
      throw new BadInput(`no selected scenario covers the ${line} family: its sentinels would check nothing`);
    }
  }
  const releases = parseReleases(options.release);
  if (options.list) {
    for (const { scenario, sentinel } of await loadSentinels(selected)) process.stdout.write(`${scenario.meta.id}  ${sentinel.explain()}\n`);
    return EXIT.ok;
  }
  const cache = await openCache(options);
  const wheels = new SentinelWheels(cache.python.path, cache.root);
  const tarballs = new SentinelTarballs(cache.root);
  let outcome: SentinelRunOutcome;
  try {
    outcome = await runSentinels({
      all,
      selected,
      ...(lines ? { lines } : {}),
      releases,
      cache,
      wheels,
      tarballs,
      onProgress: (line) => process.stderr.write(`[sentinels] ${line}\n`),
      session: sessionOptions(options),
    });
  } catch (error) {
    if (!(error instanceof SentinelsInterrupted)) throw error;
    process.stderr.write(`\nregress: ${error.message}\n`);
    return EXIT.interrupted;
  }
  // A sentinel not caught (1) shows even when the run was interrupted; one code for JSON and the process.
  const judged = sentinelExitCode(outcome);
  const exitCode = judged === EXIT.reproduced ? judged : outcome.interrupted ? EXIT.interrupted : judged;
  if (options.json) {
    const { checks, stale, unguarded, releases: used } = outcome;
    process.stdout.write(`${JSON.stringify({ releases: used, checks, stale, unguarded, exitCode }, null, 2)}\n`);
  } else {
    process.stdout.write(`\n${report(outcome, performance.now() - started, selected)}\n`);
  }
  if (outcome.reportDir) process.stderr.write(`report: ${outcome.reportDir}/report.html\n`);
  return exitCode;
}

function parseLines(values: string[] | undefined): ClientLine[] | undefined {
  if (!values?.length) return undefined;
  const known = Object.keys(CLIENT_LINES);
  const unknown = values.find((v) => !known.includes(v));
  if (unknown) {
    // A family whose release is the Node release is no line (lines.ts says why).
    try {
      lineDefinition(unknown);
    } catch (error) {
      throw new BadInput((error as Error).message);
    }
  }
  return values as ClientLine[];
}

/** `--release httpx==0.27.2` (an npm package also as `undici@8.14.1`): patch that release instead of the newest. */
function parseReleases(values: string[] | undefined): Record<string, string> {
  // Each package is named and versioned as its family's runtime does: PEP 440, or npm's semver.
  const runtimeOf = new Map(Object.keys(CLIENT_LINES).flatMap((l) => CLIENT_LINES[l]!.packages.map((p) => [p, family(l).runtime] as const)));
  const known = [...runtimeOf.keys()];
  const releases: Record<string, string> = {};
  for (const value of values ?? []) {
    const match = /^(@?[A-Za-z0-9._/-]+?)(==|@)([^=@\s]+)$/.exec(value.trim());
    if (!match) throw new BadInput(`--release '${value}': expected NAME==VERSION, e.g. httpx==0.28.1`);
    const name = runtimeOf.has(match[1]!) ? match[1]! : normaliseName(match[1]!);
    const runtime = runtimeOf.get(name);
    if (!runtime) throw new BadInput(`--release '${value}': sentinels patch only ${known.join(', ')}`);
    if (!versionScheme(runtime).valid(match[3]!)) throw new BadInput(`--release '${value}': expected NAME==VERSION with an exact version, e.g. httpx==0.28.1`);
    releases[name] = match[3]!;
  }
  return releases;
}

function report(outcome: SentinelRunOutcome, wallMs: number, scenarios: Scenario[]): string {
  const rows = outcome.checks.map((c) => [
    c.declaredIn,
    c.sentinel,
    c.build,
    `${c.scenario === c.declaredIn ? c.case : `${c.scenario}/${c.case}`}: ${c.verdict ? paint(c.verdict) : 'did not finish'}`,
    status(c),
  ]);
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => visible(r[i]!).length), 0));
  const lines = rows.map((r, i) => {
    const cells = r.map((cell, j) => (j < 4 ? cell + ' '.repeat(widths[j]! - visible(cell).length) : cell)).join('  ');
    const c = outcome.checks[i]!;
    return c.ok ? cells : `${cells}\n    ${c.reason}`;
  });
  for (const id of outcome.unguarded) {
    // A project's scenario is guarded in its own folder; the catalogue's in scenarios/<id>/.
    const project = scenarios.find((s) => s.meta.id === id && s.origin);
    lines.push(`NO SENTINELS: ${id} declares none (add ${project ? join(project.dir, 'sentinels.ts') : `scenarios/${id}/sentinels.ts`})`);
  }
  for (const s of outcome.stale) lines.push(`STALE: ${s.message} (sentinel ${s.sentinel} of ${s.declaredIn}, ${s.line} line)`);
  const sentinels = outcome.checks.filter((c) => c.role === 'sentinel');
  const unpatched = outcome.checks.filter((c) => c.role === 'unpatched');
  lines.push(
    '',
    `sentinels: ${sentinels.filter((c) => c.ok).length}/${sentinels.length} caught; unpatched rebuilds: ` +
      `${unpatched.filter((c) => c.ok).length}/${unpatched.length} as expected; ${outcome.stale.length} stale; ` +
      `in ${(wallMs / 1000).toFixed(1)} s (${Object.entries(outcome.releases).map(([p, v]) => `${p} ${v}`).join(', ')})`,
  );
  return lines.join('\n');
}

function status(c: SentinelCheck): string {
  if (c.ok) return 'OK';
  if (c.verdict === null) return 'DID NOT FINISH';
  if (c.wrongBuild) return 'ERROR';
  if (c.verdict === 'error') return 'ERROR';
  return c.role === 'sentinel' ? 'NOT CAUGHT' : 'FALSE ALARM';
}

function visible(text: string): string {
  return text.replace(/\u001b\[[0-9;]*m/g, '');
}
