// `regress diff --base X --head Y`: each side a client spec, a lock file, or git:REF:PATH (the lock at a
// git ref, e.g. the pull request's target branch). Both sides run in one session, concurrently, and one
// table says what the change does: brought back, worse, fixed by the bump, still reproduced, unchanged.
// Exit 1 when anything is brought back, newly reproduced, or reproduced on both sides with a measure that
// got worse beyond its scenario's tolerance; 2 on error (either side) or bad input;
// 130 interrupted; 0 otherwise.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileWhole } from '../atomic-file.ts';
import { diffResults, inconclusive, regressed } from '../diff.ts';
import { diffJson, diffMarkdown, diffText, type DiffSides } from '../report/diff-summary.ts';
import { diffSectionHtml } from '../report/diff-html.ts';
import type { RunReport } from '../report/formats.ts';
import { reportHtml } from '../report/html.ts';
import { planJobs } from '../runner.ts';
import type { ClientTarget } from '../runtime/target.ts';
import { selectScenarios } from '../scenarios.ts';
import { scenariosFor } from './scenario-folders.ts';
import { BadInput, runSession } from '../session.ts';
import { type ClientSpec, parseClientSpec } from '../spec.ts';
import { isLockInput, lockedSpecs } from './client-inputs.ts';
import { checkCases, type CommonOptions, EXIT, sessionOptions } from './common.ts';
import { clientTargets } from './targets.ts';

export interface DiffOptions extends CommonOptions {
  base: string;
  head: string;
  scenario?: string[];
  case?: string[];
}

/** A side's clients: a spec, or one per client a lock pins (a Python lock through uv, a Node project's lock as it is). */
function sideSpecs(side: string, options: DiffOptions): Promise<ClientSpec[]> {
  return isLockInput(side) ? lockedSpecs([side], { runtime: 'venv', ...(options.python ? { python: options.python } : {}) }) : Promise.resolve([parseClientSpec(side)]);
}

/**
 * A side's target: labelled with its side, so identical inputs stay two columns (a diff of a lock with
 * itself runs both sides for real); the environment itself is shared through the cache.
 */
function sideTarget(side: 'base' | 'head', target: ClientTarget): ClientTarget {
  const label = `${side}: ${target.label}`;
  return {
    label,
    key: `${side}: ${target.key ?? target.label}`,
    // Its family decides which scenarios it runs and which extras they add.
    ...(target.family ? { family: target.family } : {}),
    // A scenario's required extras (http2) apply to both sides alike.
    ...(target.withExtras ? { withExtras: (extras: string[]) => sideTarget(side, target.withExtras!(extras)) } : {}),
    prepare: async (onProgress) => ({ ...(await target.prepare(onProgress)), label }),
  };
}

export async function diffCommand(options: DiffOptions): Promise<number> {
  if (options.base.trim() === '' || options.head.trim() === '') throw new BadInput('--base and --head each need a client spec or a lock file');
  const scenarios = selectScenarios(await scenariosFor(options), options.scenario ?? []);
  checkCases(scenarios, options.case ?? []);
  const [baseSpecs, headSpecs] = await Promise.all([sideSpecs(options.base, options), sideSpecs(options.head, options)]);
  const runtime = { runtime: 'venv' as const, ...(options.python ? { python: options.python } : {}), ...(options.node ? { node: options.node } : {}) };
  const base = (await clientTargets(baseSpecs, true, runtime)).targets.map((t) => sideTarget('base', t));
  const head = (await clientTargets(headSpecs, true, runtime)).targets.map((t) => sideTarget('head', t));

  const outcome = await runSession(planJobs(scenarios, [...base, ...head], options.case ?? []), sessionOptions(options));
  const onSide = (targets: ClientTarget[]) => outcome.results.filter((r) => targets.some((t) => t.label === r.client));
  const diff = diffResults(onSide(base), onSide(head));
  const sides: DiffSides = {
    base: { input: options.base, clients: base.map((t) => t.label) },
    head: { input: options.head, clients: head.map((t) => t.label) },
  };
  const code = regressed(diff)
    ? EXIT.reproduced
    : outcome.interrupted
      ? EXIT.interrupted
      : inconclusive(diff)
        ? EXIT.error
        : EXIT.ok;

  if (options.json) process.stdout.write(diffJson(diff, sides, code));
  else process.stdout.write(`\n${diffText(diff, sides)}\n`);
  if (outcome.reportDir) {
    // The run's own report (results.json, junit.xml) stays; summary.md becomes the diff,
    // with the run's verdict matrix folded in, ready for a pull-request comment.
    const run = JSON.parse(await readFile(join(outcome.reportDir, 'results.json'), 'utf8')) as RunReport;
    await writeFileWhole(join(outcome.reportDir, 'summary.md'), diffMarkdown(diff, sides, run));
    await writeFileWhole(join(outcome.reportDir, 'diff.json'), diffJson(diff, sides, code));
    // report.html leads with the diff (sides, versions that changed, each cell's change), the matrix below.
    await writeFileWhole(join(outcome.reportDir, 'report.html'), reportHtml(run, { prepend: diffSectionHtml(diff, sides, run) }));
    process.stderr.write(`report: ${outcome.reportDir}/summary.md\n`);
  }
  return code;
}
