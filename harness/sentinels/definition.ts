// What a scenario folder declares in sentinels.ts: small patches that put the scenario's documented failure
// (and its close cousins) back into the newest releases, and which cases must then come out `reproduced`.
// A sentinel is data; `explain()` says in words what it does, for `regress sentinels --list` and reports.
import { CLIENT_LINES, type ClientLine, lineDefinition } from './lines.ts';

/** An exact-text replacement inside one file of a wheel or npm tarball; `find` must occur exactly once, else the sentinel is stale. */
export interface Edit {
  /** Path inside the wheel (`httpx/_client.py`), or inside the npm package, from its package.json's folder (`lib/dispatcher/client-h1.js`). */
  file: string;
  find: string;
  replace: string;
}

/** How a sentinel is put into one client line: the package whose newest wheel (or npm tarball) is patched, and the edits. */
export interface SentinelVariant {
  line: ClientLine;
  /** Distribution name of the patched package; one of the line's packages. */
  package: string;
  edits: Edit[];
  /** Cases that must come out `reproduced` on this line, when they differ from the sentinel's `expect`. */
  expect?: string[];
}

export interface SentinelSpec {
  /** Short kebab-case id, unique within the scenario, e.g. `close-leak`; it becomes the local version tag. */
  id: string;
  summary: string;
  /** Cases that must come out `reproduced`: `case` (of the declaring scenario) or `scenario/case`. */
  expect: string[];
  variants: SentinelVariant[];
}

export interface Sentinel extends SentinelSpec {
  explain(): string;
}

const ID = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/** The local version label of a sentinel build: `sentinel.closeleak` (PEP 440 local labels have no dashes). */
export function localLabel(id: string): string {
  return `sentinel.${id.replace(/-/g, '')}`;
}

/** The label of the unpatched rebuild: the same pipeline with no edits. */
export const UNPATCHED = 'unpatched';

export function defineSentinels(specs: SentinelSpec[]): Sentinel[] {
  const seen = new Set<string>();
  return specs.map((spec) => {
    // Mistakes in a definition are the author's, found at load time rather than mid-run.
    if (!ID.test(spec.id) || spec.id === UNPATCHED) throw new Error(`sentinel id '${spec.id}' must be kebab-case and not '${UNPATCHED}'`);
    if (seen.has(spec.id)) throw new Error(`sentinel id '${spec.id}' is declared twice`);
    seen.add(spec.id);
    if (spec.expect.length === 0) throw new Error(`sentinel ${spec.id} expects no case to be reproduced`);
    if (spec.variants.length === 0) throw new Error(`sentinel ${spec.id} has no variant`);
    for (const variant of spec.variants) {
      const line = lineDefinition(variant.line);
      if (!line.packages.includes(variant.package)) {
        throw new Error(`sentinel ${spec.id}: ${variant.package} is not a package of the ${variant.line} line (${line.packages.join(', ')})`);
      }
      if (variant.edits.length === 0) throw new Error(`sentinel ${spec.id} (${variant.line}) has no edit`);
      for (const edit of variant.edits) {
        if (!edit.find) throw new Error(`sentinel ${spec.id}: an edit of ${edit.file} has an empty find text`);
        if (edit.find === edit.replace) throw new Error(`sentinel ${spec.id}: an edit of ${edit.file} changes nothing`);
      }
    }
    return { ...spec, explain: () => explainSentinel(spec) };
  });
}

function explainSentinel(spec: SentinelSpec): string {
  const variants = spec.variants.map((v) => {
    const files = [...new Set(v.edits.map((e) => e.file))].join(', ');
    const expect = v.expect ? `; expects ${v.expect.join(', ')} reproduced` : '';
    return `  ${v.line} line: patch the newest ${v.package} (${v.edits.length} edit(s) in ${files}) as +${localLabel(spec.id)}, ` +
      `beside the line's other packages at their newest${expect}`;
  });
  return [`${spec.id}: ${spec.summary}`, `  expects ${spec.expect.join(', ')} reproduced`, ...variants].join('\n');
}
