// Is a cached environment still what was installed? A file deleted or truncated since the install (a
// cleaner, a full disk, a hand edit) made every later run of that environment an `error`, with a message
// that named neither the folder nor the fix. The build records every installed file's size
// (regress-files.json, from the packages' .dist-info/RECORD lists, sizes as found on disk: a rebuilt
// wheel's RECORD may be stale); every use compares. Synchronous (warm() must not yield): about 200 stats
// for an httpx environment, well under a millisecond. An environment built before the snapshot existed is
// checked against RECORD itself.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const FILES_SNAPSHOT = 'regress-files.json';

/** Each file the installed packages list (relative to the venv), with the size RECORD gives (null: none). */
function recordedFiles(venv: string): { files: Map<string, number | null>; problems: string[] } {
  const files = new Map<string, number | null>();
  const problems: string[] = [];
  let lib: string[];
  try {
    lib = readdirSync(join(venv, 'lib'));
  } catch {
    return { files, problems: ['no lib folder'] };
  }
  for (const pythonDir of lib) {
    const site = join('lib', pythonDir, 'site-packages');
    let entries: string[];
    try {
      entries = readdirSync(join(venv, site));
    } catch {
      problems.push(`${site} is missing`);
      continue;
    }
    for (const entry of entries) {
      if (!entry.endsWith('.dist-info')) continue;
      let record: string;
      try {
        record = readFileSync(join(venv, site, entry, 'RECORD'), 'utf8');
      } catch {
        problems.push(`${entry}/RECORD is missing`);
        continue;
      }
      for (const line of record.split('\n')) {
        const [path, , size] = splitRecordLine(line);
        // Only the packages' own files: scripts outside site-packages are rewritten by a relocatable venv,
        // and bytecode is only a cache (a missing .pyc costs a compile, not a wrong verdict).
        if (!path || path.startsWith('..') || path.startsWith('/') || path.includes('__pycache__/')) continue;
        files.set(join(site, path), size ? Number(size) : null);
      }
    }
  }
  return { files, problems };
}

/** What the build found installed: every recorded file's size on disk. Written into the environment. */
export function snapshotFiles(venv: string): Record<string, number> {
  const snapshot: Record<string, number> = {};
  for (const path of recordedFiles(venv).files.keys()) {
    try {
      snapshot[path] = statSync(join(venv, path)).size;
    } catch {
      // listed but not installed: nothing to hold it to
    }
  }
  return snapshot;
}

/** What is wrong with the environment's installed files (the first few), or null when every file is as installed. */
export function environmentDamage(venv: string): string | null {
  let expected: Map<string, number | null>;
  const problems: string[] = [];
  try {
    expected = new Map(Object.entries(JSON.parse(readFileSync(join(venv, FILES_SNAPSHOT), 'utf8')) as Record<string, number>));
  } catch {
    const recorded = recordedFiles(venv);
    expected = recorded.files;
    problems.push(...recorded.problems);
  }
  for (const [path, size] of expected) {
    if (problems.length >= 3) break;
    const shown = path.replace(/^lib\/[^/]+\/site-packages\//, '');
    try {
      const actual = statSync(join(venv, path)).size;
      if (size !== null && size !== actual) problems.push(`${shown} is ${actual} bytes, installed as ${size}`);
    } catch {
      problems.push(`${shown} is missing`);
    }
  }
  if (!problems.length) return null;
  return problems.length >= 3 ? `${problems.slice(0, 2).join('; ')}; and more` : problems.join('; ');
}

/** RECORD is CSV: path,hash,size; a path with a comma is quoted. */
function splitRecordLine(line: string): [string, string, string] {
  const text = line.trim();
  if (!text.startsWith('"')) {
    const [path = '', hash = '', size = ''] = text.split(',');
    return [path, hash, size];
  }
  const end = text.indexOf('",');
  if (end === -1) return ['', '', ''];
  const [hash = '', size = ''] = text.slice(end + 2).split(',');
  return [text.slice(1, end).replace(/""/g, '"'), hash, size];
}
