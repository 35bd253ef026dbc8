// Lock files as client input: a pinned requirements.txt (with or without --hash), a PEP 751 pylock.toml,
// or a uv.lock, so a gate tests the client a project really ships. The files are read through uv itself:
// uv.lock is exported with `uv export`, and the pins that apply to the interpreter under test are what
// `uv pip install --dry-run --no-deps` would install from the file (markers evaluated by uv, not here).
// Only the client's dependency closure is installed: `uv pip compile` resolves the client release with
// every pin as a constraint, and each package of that closure must be pinned by the file.
import { loadExeca } from './lazy-execa.ts';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { families } from './families.ts';
import { BadInput } from './session.ts';
import { type ClientSpec, normaliseName, parseClientSpec } from './spec.ts';
import type { LockInfo } from './types.ts';

/** A lock file that cannot be used as client input: bad input, one line. */
export class LockFileError extends BadInput {}

export type LockFormat = LockInfo['format'];


/** A lock file's content and where it came from. */
export interface LockSource {
  /** As the user named it: a path or git:REF:PATH. */
  name: string;
  /** The file name that decides the format (uv.lock, pylock.toml, anything else: requirements). */
  fileName: string;
  content: Buffer;
}

const INSTALLER_ENV = { UV_PYTHON_DOWNLOADS: 'never', UV_NO_PROGRESS: '1' };

// The clients a lock can pin are the families' distributions (families/<id>/family.json). Each family's
// record also says which pinned packages mean the project uses one of its extras: a lock that pins h2
// ships httpx's http2 extra, so the gate installs it too. Only extras whose packages the lock pins are added.

/**
 * Lock files of tools whose format regress does not read, with the command that exports a supported one.
 * Read as a requirements file they would fail with a confusing pin error, so they are refused by name.
 */
const UNREAD_LOCKS: Record<string, string> = {
  'poetry.lock': '`poetry export -f requirements.txt --output requirements.txt` (Poetry 2: the poetry-plugin-export plugin)',
  'Pipfile.lock': '`pipenv requirements > requirements.txt`',
};

export function lockFormat(fileName: string): LockFormat {
  const name = basename(fileName);
  const exporter = UNREAD_LOCKS[name];
  if (exporter) throw new LockFileError(`${name} is not read by regress: export a pinned requirements.txt with ${exporter} and give that`);
  if (name === 'uv.lock') return 'uv.lock';
  if (/^pylock\.([^.]+\.)?toml$/.test(name)) return 'pylock.toml';
  return 'requirements.txt';
}

/** `git:REF:PATH` reads the file at a git ref (the pull request's target branch, say) with `git show`. */
export async function readLockSource(given: string, cwd = process.cwd()): Promise<LockSource> {
  const git = /^git:([^:]+):(.+)$/.exec(given);
  // A format regress does not read is refused before anything is read (the file need not exist yet).
  lockFormat(git ? git[2]! : given);
  if (git) {
    const [, ref, path] = git as unknown as [string, string, string];
    const shown = await (await loadExeca())('git', ['show', `${ref}:${path}`], { cwd, encoding: 'buffer', reject: false });
    if (shown.exitCode !== 0) {
      const why = Buffer.from(shown.stderr).toString().trim().split('\n').at(-1) || `exit ${shown.exitCode}`;
      throw new LockFileError(`cannot read ${given}: git show ${ref}:${path}: ${why}`);
    }
    return { name: given, fileName: basename(path), content: Buffer.from(shown.stdout) };
  }
  try {
    return { name: given, fileName: basename(given), content: await readFile(resolve(cwd, given)) };
  } catch (error) {
    throw new LockFileError(`cannot read lock file ${given}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/**
 * Requirement lines of a requirements file, continuation lines joined and comments dropped, each with
 * its line number. Options (--hash, --index-url, …) are the installer's business; includes and editables
 * are refused: a lock is one self-contained file.
 */
export function requirementLines(text: string, name: string): { line: number; requirement: string }[] {
  const out: { line: number; requirement: string }[] = [];
  const physical = text.split(/\r?\n/);
  for (let i = 0; i < physical.length; i++) {
    const start = i;
    let logical = physical[i]!;
    while (logical.endsWith('\\') && i + 1 < physical.length) logical = `${logical.slice(0, -1)} ${physical[++i]}`;
    const line = logical.replace(/(^|\s)#.*$/, '').trim();
    if (!line) continue;
    if (/^(-r|-c|--requirement|--constraint)\b/.test(line)) throw new LockFileError(`${name} line ${start + 1}: includes another file (${line}); give the lock itself`);
    if (/^(-e|--editable)\b/.test(line)) throw new LockFileError(`${name} line ${start + 1}: an editable requirement (${line}) pins nothing`);
    if (line.startsWith('-')) continue;
    // The requirement without its hashes and other per-requirement options.
    out.push({ line: start + 1, requirement: line.replace(/\s+--?[a-z][\w-]*(=\S+|\s+\S+)?/g, '').trim() });
  }
  return out;
}

/** Every requirement must name one release (==, ===) or one artefact (a direct reference). */
export function checkPinned(text: string, name: string): void {
  for (const { line, requirement } of requirementLines(text, name)) {
    const [head] = requirement.split(';');
    if (/\s@\s|^[^\s=<>!~]+\s*@/.test(head!)) continue;
    if (/^[A-Za-z0-9][A-Za-z0-9._-]*(\[[^\]]*\])?\s*===?\s*[^\s,*=<>!~]+$/.test(head!.trim())) continue;
    throw new LockFileError(`${name} line ${line}: '${requirement}' is not pinned (a lock pins every requirement with == or to one file)`);
  }
}

interface Tools {
  uv: string;
  /** The interpreter environments are built from: pins are those that apply to it. */
  python: string;
}

/** Run uv; a failure is a clear line naming the lock, with uv's own explanation. */
async function uv(tools: Tools, args: string[], what: string, options: { cwd?: string; input?: string } = {}): Promise<string> {
  const result = await (await loadExeca())(tools.uv, args, { ...options, reject: false, env: INSTALLER_ENV });
  if (result.exitCode === 0) return String(result.stdout);
  const said = `${result.stderr}`
    .split('\n')
    .map((l) => l.replace(/^[\s×╰─▶│]+/u, '').trim())
    .filter((l) => l && !/^warning:/.test(l))
    .join(' ');
  throw new LockFileError(`${what}: ${said.slice(0, 600) || `uv exit ${result.exitCode}`}`);
}

/** `name==version` (or `name @ url`) lines from uv's output, by normalised name. */
function pinsFrom(lines: string[]): Record<string, string> {
  const pins: Record<string, string> = {};
  for (const raw of lines) {
    const m = /^\+?\s*([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*(?:==\s*([^\s;]+)|@\s*(\S+))/.exec(raw.trim().replace(/^\+\s*/, ''));
    if (m) pins[normaliseName(m[1]!)] = m[2] ?? m[3]!;
  }
  return pins;
}


/**
 * The client specs a lock file pins: one per client family whose distribution it pins (a requirements.txt
 * with requests, urllib3 and httpx gates all three), each with exactly the versions the file pins for that
 * client's dependency closure.
 */
export async function clientsFromLock(source: LockSource, tools: Tools): Promise<ClientSpec[]> {
  const format = lockFormat(source.fileName);
  const sha256 = createHash('sha256').update(source.content).digest('hex');
  const work = await mkdtemp(join(tmpdir(), 'regress-lock-'));
  try {
    // uv reads files by name: the content (perhaps from git) is written under its own name.
    let file = join(work, format === 'requirements.txt' ? 'requirements.txt' : source.fileName);
    await writeFile(file, source.content);
    if (format === 'uv.lock') {
      // A uv.lock pins every package of the project's universal resolution; uv exports it as a
      // requirements file with markers (no pyproject.toml needed with --frozen).
      const exported = await uv(
        tools,
        ['export', '--quiet', '--frozen', '--format', 'requirements-txt', '--no-hashes', '--no-header', '--no-annotate', '--no-emit-workspace', '--no-emit-local', '--preview-features', 'frozen-lockfile'],
        `cannot read ${source.name} with uv export`,
        { cwd: work },
      );
      file = join(work, 'exported-requirements.txt');
      await writeFile(file, exported);
    }
    if (format !== 'pylock.toml') checkPinned(await readFile(file, 'utf8'), source.name);

    // The pins for this interpreter: what uv would install from the file alone, into an empty environment.
    const scratch = join(work, 'scratch');
    await uv(tools, ['venv', '--quiet', '--python', tools.python, scratch], `cannot make a scratch environment for ${source.name}`);
    const dryRun = await (await loadExeca())(
      tools.uv,
      ['pip', 'install', '--dry-run', '--no-deps', '--preview-features', 'pylock', '--python', join(scratch, 'bin', 'python'), '-r', file],
      { reject: false, env: INSTALLER_ENV, all: true },
    );
    if (dryRun.exitCode !== 0) {
      const said = String(dryRun.all).split('\n').map((l) => l.trim()).filter((l) => /^(error|×|╰|caused by)/i.test(l)).join(' ');
      throw new LockFileError(`cannot read ${source.name} with uv: ${said.slice(0, 600) || `uv exit ${dryRun.exitCode}`}`);
    }
    const pins = pinsFrom(String(dryRun.all).split('\n').filter((l) => /^\s*\+\s/.test(l)));
    const python = families().filter((f) => f.runtime === 'python');
    const clients = python.filter((f) => pins[f.distribution]);
    if (clients.length === 0) {
      throw new LockFileError(`${source.name} pins no known client (${python.map((f) => f.distribution).join(', ')}) for Python at ${tools.python}`);
    }

    const constraints = join(work, 'constraints.txt');
    await writeFile(constraints, `${Object.entries(pins).map(([n, v]) => (/^[a-z+]+:\/\//.test(v) ? `${n} @ ${v}` : `${n}==${v}`)).join('\n')}\n`);
    const locked: ClientSpec[] = [];
    for (const f of clients) {
      const client = f.distribution;
      const extras = [...new Set(Object.keys(pins).flatMap((p) => (f.extrasOfPackage[p] ? [f.extrasOfPackage[p]] : [])))].sort();
      const requirement = `${client}${extras.length ? `[${extras.join(',')}]` : ''}==${pins[client]}`;
      const compiled = await uv(
        tools,
        ['pip', 'compile', '--quiet', '--no-header', '--no-annotate', '--python', tools.python, '-c', constraints, '-'],
        `the pins of ${source.name} do not install ${client} ${pins[client]}`,
        { input: `${requirement}\n` },
      );
      const closure = pinsFrom(compiled.split('\n'));
      const missing = Object.keys(closure).filter((name) => pins[name] !== closure[name]);
      if (missing.length) {
        throw new LockFileError(`${source.name} does not pin ${missing.join(', ')}, which ${client} ${pins[client]} needs: a lock pins the whole dependency closure`);
      }
      // The client first, so the spec reads as the release under test; the rest in name order.
      const ordered = [client, ...Object.keys(closure).filter((n) => n !== client).sort()];
      const spec = parseClientSpec(ordered.map((n) => (/^[a-z+]+:\/\//.test(closure[n]!) ? `${n}@${closure[n]}` : `${n}==${closure[n]}`)).join(' '));
      const label = `${client}==${pins[client]} (${source.name} ${sha256.slice(0, 8)})`;
      const lock: LockInfo = { file: source.name, format, sha256, pins, closure: Object.fromEntries(ordered.map((n) => [n, closure[n]!])) };
      // A spec of a companion's closure (urllib3 beside requests) would read as requests: the family is this one.
      locked.push({ ...spec, label, family: f.id, module: f.module, lock });
    }
    return locked;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
