// `regress new ID [--family F]`: scaffold a scenario folder (harness/scaffold/templates.ts) under ./scenarios
// (or the first folder of regress.config.json, or --dir) that runs green at once against the family's latest release, and
// print the three places to edit. Bad input (an id that is not kebab-case or names a built-in scenario, a
// folder that exists) is one line and nothing written: the files are written into a hidden folder beside
// the target and renamed into place in one step.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { findProjectConfig } from '../project-config.ts';
import { type ClientFamily, defaultFamily, family, FamilyError, specName } from '../families.ts';
import { placesToEdit, scaffoldFiles } from '../scaffold/templates.ts';
import { SCENARIOS_DIR } from '../scenarios.ts';
import { BadInput } from '../session.ts';
import { EXIT } from './common.ts';

export interface NewOptions {
  dir?: string;
  /** The client family the scaffolded program is written for (`--family`). */
  family?: string;
}

/** Scenario ids are folder names and report keys: lower-case words joined by single dashes. */
export const SCENARIO_ID = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

/** regress's checkout root when running from one (sources, not the compiled dist/ of an installed package). */
const CHECKOUT = dirname(SCENARIOS_DIR);
const CHECKOUT_KIT = join(CHECKOUT, 'harness', 'kit.ts');

export async function newCommand(id: string, options: NewOptions, cwd = process.cwd()): Promise<number> {
  if (!SCENARIO_ID.test(id)) {
    throw new BadInput(`'${id}' is not a scenario id: use kebab-case (lower-case letters and digits, words joined by single dashes), e.g. my-hang`);
  }
  const builtIn = (await readdir(SCENARIOS_DIR, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  if (builtIn.includes(id)) throw new BadInput(`'${id}' is a built-in scenario of regress: pick another id (ids are unique across all scenario folders)`);
  const parent = options.dir ? resolve(cwd, options.dir) : await defaultParent(cwd);
  const target = join(parent, id);
  if (existsSync(target)) throw new BadInput(`${target} already exists: nothing written`);
  let chosen: ClientFamily;
  try {
    chosen = options.family ? family(options.family) : defaultFamily();
  } catch (error) {
    if (error instanceof FamilyError) throw new BadInput(error.message);
    throw error;
  }

  const inCheckout = existsSync(CHECKOUT_KIT) && isInside(target, CHECKOUT);
  const files = scaffoldFiles({
    id,
    // A project imports the kit from the regress package; a folder inside regress's own checkout (the
    // catalogue, examples/) imports it by path, since the package's dist/ may not be built there.
    kit: inCheckout ? posixRelative(target, CHECKOUT_KIT) : 'regress/kit',
    folder: parent === SCENARIOS_DIR ? '' : relative(cwd, parent) || '.',
    modulePackage: !inCheckout,
    family: chosen.id,
  });
  // Hidden, beside the target (one file system, so the rename is atomic); made by mkdir, so the umask
  // applies as to any folder the user makes. A folder that cannot be made (a file in the path, no
  // permission) is the user's input: one line.
  const staging = join(parent, `.${id}.new-${randomUUID().slice(0, 8)}`);
  try {
    await mkdir(parent, { recursive: true });
    await mkdir(staging);
  } catch (error) {
    throw new BadInput(`cannot make ${target}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}: nothing written`);
  }
  try {
    for (const [name, content] of Object.entries(files)) {
      await mkdir(dirname(join(staging, name)), { recursive: true });
      await writeFile(join(staging, name), content);
    }
    // A folder made meanwhile by someone else: rename would replace it only when empty; refuse instead.
    if (existsSync(target)) throw new BadInput(`${target} already exists: nothing written`);
    await rename(staging, target);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }

  const shown = relative(cwd, target) || '.';
  const places = placesToEdit(chosen.id);
  const width = Math.max(...places.map(([file]) => join(shown, file).length));
  const folderFlag = parent === SCENARIOS_DIR ? '' : `--scenarios ${relative(cwd, parent) || '.'} `;
  process.stdout.write(
    [
      `created ${shown}${sep} (${Object.keys(files).join(', ')})`,
      'edit these three places:',
      ...places.map(([file, what]) => `  ${join(shown, file).padEnd(width)}  ${what}`),
      `run it: npx regress run ${folderFlag}--scenario ${id} --client ${specName(chosen)}   (the latest ${specName(chosen)}: fixed, exit 0; set MAX_CONNECTIONS = 0 in judge.ts to see it reproduce, exit 1)`,
      '',
    ].join('\n'),
  );
  return EXIT.ok;
}

/** The first scenario folder of the project's regress.config.json, else ./scenarios. */
async function defaultParent(cwd: string): Promise<string> {
  const config = await findProjectConfig(cwd);
  return config?.scenarios[0] ?? resolve(cwd, 'scenarios');
}

function isInside(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && !rel.startsWith('..') && !rel.split(sep).includes('node_modules');
}

function posixRelative(from: string, to: string): string {
  const rel = relative(from, to).split(sep).join('/');
  return rel.startsWith('.') ? rel : `./${rel}`;
}
