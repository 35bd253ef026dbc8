// Which interpreter `python3` (or --python, REGRESS_PYTHON) names, remembered across runs. Asking it costs
// a Python start on every run, 0.14 s through a pyenv shim; the answer only changes when something that
// decides it changes, so it is kept with a fingerprint of those things and asked again when one moved:
// the file the command resolves to on PATH (not PATH itself: npx prepends its own folders), the interpreter file itself, the variables version managers read
// (PYENV_VERSION, VIRTUAL_ENV, ...) and the version files pyenv consults (.python-version up from the
// working directory, $PYENV_ROOT/version).
import { accessSync, constants, statSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { writeFileWhole } from '../atomic-file.ts';

export interface RememberedInterpreter {
  path: string;
  version: string;
}

interface Entry extends RememberedInterpreter {
  fingerprint: string;
}

const ENV_NAMES = ['PYENV_VERSION', 'PYENV_ROOT', 'PYENV_DIR', 'VIRTUAL_ENV', 'CONDA_PREFIX', 'ASDF_PYTHON_VERSION'];

function stamp(file: string): string {
  try {
    const s = statSync(file);
    return `${s.ino}:${s.size}:${s.mtimeMs}`;
  } catch {
    return 'absent';
  }
}

/** Where a command name resolves on PATH (a path with a slash is itself). */
function onPath(command: string): string | null {
  if (command.includes('/')) return resolve(command);
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/** pyenv's version files: .python-version from the working directory up, and the global one. */
function versionFiles(): string[] {
  const files: string[] = [];
  let dir = process.cwd();
  for (;;) {
    files.push(join(dir, '.python-version'));
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  const root = process.env.PYENV_ROOT || join(homedir(), '.pyenv');
  files.push(join(root, 'version'));
  return files;
}

function fingerprint(candidate: string, executable: string): string {
  const resolved = onPath(candidate);
  return JSON.stringify({
    candidate,
    cwd: process.cwd(),
    env: ENV_NAMES.map((n) => process.env[n] ?? null),
    resolved: resolved ? [resolved, stamp(resolved)] : null,
    executable: [executable, stamp(executable)],
    versionFiles: versionFiles().map((f) => stamp(f)),
  });
}

/** One entry per command and working directory (pyenv's answer depends on the directory's .python-version). */
function entryKey(candidate: string): string {
  return `${candidate} in ${process.cwd()}`;
}

export class InterpreterCache {
  readonly #file: string;

  constructor(cacheRoot: string) {
    this.#file = join(cacheRoot, 'interpreters.json');
  }

  async #read(): Promise<Record<string, Entry>> {
    try {
      return JSON.parse(await readFile(this.#file, 'utf8')) as Record<string, Entry>;
    } catch {
      return {};
    }
  }

  /** The remembered answer for a candidate, when nothing that decides it has changed since. */
  async lookup(candidate: string): Promise<RememberedInterpreter | null> {
    const entry = (await this.#read())[entryKey(candidate)];
    if (!entry || !isAbsolute(entry.path)) return null;
    if (entry.fingerprint !== fingerprint(candidate, entry.path)) return null;
    return { path: entry.path, version: entry.version };
  }

  /** Remember an answer; a cache that cannot be written only costs the next run a Python start. */
  async remember(candidate: string, found: RememberedInterpreter): Promise<void> {
    try {
      const all = await this.#read();
      all[entryKey(candidate)] = { ...found, fingerprint: fingerprint(candidate, found.path) };
      await mkdir(dirname(this.#file), { recursive: true });
      await writeFileWhole(this.#file, `${JSON.stringify(all, null, 2)}\n`);
    } catch {
      // read-only cache: checkWritable reports that where it matters
    }
  }
}
