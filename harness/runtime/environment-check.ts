// Is a cached environment still what was installed? Every installed package lists its files, with their
// sizes, in its .dist-info/RECORD; a file deleted or truncated since (a cleaner, a full disk, a hand edit)
// made every later run of that environment an `error` with a message that named neither the folder nor
// the fix. Checked at every use, synchronously (warm() must not yield): about 200 stats for an httpx
// environment, well under a millisecond.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** What is wrong with the environment's installed files (the first few), or null when every file is as recorded. */
export function environmentDamage(venv: string): string | null {
  const problems: string[] = [];
  let lib: string[];
  try {
    lib = readdirSync(join(venv, 'lib'));
  } catch {
    return 'no lib folder';
  }
  for (const pythonDir of lib) {
    const site = join(venv, 'lib', pythonDir, 'site-packages');
    let entries: string[];
    try {
      entries = readdirSync(site);
    } catch {
      problems.push(`lib/${pythonDir}/site-packages is missing`);
      continue;
    }
    for (const entry of entries) {
      if (!entry.endsWith('.dist-info')) continue;
      let record: string;
      try {
        record = readFileSync(join(site, entry, 'RECORD'), 'utf8');
      } catch {
        problems.push(`${entry}/RECORD is missing`);
        continue;
      }
      for (const line of record.split('\n')) {
        const [path, , size] = splitRecordLine(line);
        // Only the package's own files: scripts outside site-packages are rewritten by a relocatable venv,
        // and bytecode is only a cache (a missing .pyc costs a compile, not a wrong verdict).
        if (!path || path.startsWith('..') || path.startsWith('/') || path.includes('__pycache__/')) continue;
        try {
          const actual = statSync(join(site, path)).size;
          if (size && Number(size) !== actual) problems.push(`${path} is ${actual} bytes, installed as ${size}`);
        } catch {
          problems.push(`${path} is missing`);
        }
        if (problems.length >= 3) return summarise(problems);
      }
    }
  }
  return problems.length ? summarise(problems) : null;
}

function summarise(problems: string[]): string {
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
