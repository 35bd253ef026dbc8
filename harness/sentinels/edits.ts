// Exact-text edits applied to a release's files, the same rule for every kind of build (the wheel builder
// applies it in harness/python/rebuild_wheel.py, the npm tarball builder here): each `find` must occur
// exactly once in its file, as the file stands after the edits before it. Otherwise the sentinel is stale
// for that release: reported with the file named, never half-applied.
import type { Edit } from './definition.ts';
import type { StaleEdit } from './wheel-builder.ts';

export type EditOutcome =
  /** The new text of every edited file, by the path the edits name. */
  | { kind: 'applied'; files: Map<string, string> }
  | { kind: 'stale'; problems: StaleEdit[] };

/**
 * Apply the edits to the files `read` returns (null: the release has no such file). Several edits of one
 * file apply in order, each to the text the previous one left.
 */
export function applyEdits(edits: Edit[], read: (file: string) => string | null): EditOutcome {
  const files = new Map<string, string>();
  const problems: StaleEdit[] = [];
  for (const edit of edits) {
    const text = files.get(edit.file) ?? read(edit.file);
    if (text === null) {
      problems.push({ file: edit.file, matches: 0, missingFile: true, find: tellingLine(edit.find, '') });
      continue;
    }
    const matches = occurrences(text, edit.find);
    if (matches !== 1) {
      problems.push({ file: edit.file, matches, missingFile: false, find: tellingLine(edit.find, text) });
      continue;
    }
    const at = text.indexOf(edit.find);
    // Not String.replace: a `$&` or `$1` in the replacement is text, not a pattern.
    files.set(edit.file, text.slice(0, at) + edit.replace + text.slice(at + edit.find.length));
  }
  return problems.length ? { kind: 'stale', problems } : { kind: 'applied', files };
}

/** Non-overlapping occurrences, as Python's str.count counts them (the wheel path's rule). */
function occurrences(text: string, find: string): number {
  let count = 0;
  for (let at = text.indexOf(find); at !== -1; at = text.indexOf(find, at + find.length)) count++;
  return count;
}

/** The line of the text looked for that says most about why it is gone: the first one the file lacks. */
function tellingLine(find: string, text: string): string {
  const lines = find.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  return lines.find((l) => !text.includes(l)) ?? lines[0] ?? '';
}
