// No import cycles in the sources (type-only imports included, as madge counts them): a cycle makes
// module initialisation order matter (the CLI once had main.ts ↔ its command files). Relative imports are
// read from the text of each file; bare imports (packages) cannot form a cycle with our files.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { expect, test } from 'vitest';

const root = join(import.meta.dirname, '..');
const FOLDERS = ['bin', 'harness', 'fixtures', 'certs', 'scenarios', 'scripts'];
const IMPORT = /^\s*(?:import|export)\b[^'"]*?\bfrom\s+['"](\.{1,2}\/[^'"]+)['"]|^\s*import\s+['"](\.{1,2}\/[^'"]+)['"]|\bimport\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/gm;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' || e.name.startsWith('.') ? [] : sources(path);
    return /\.(ts|js)$/.test(e.name) && !e.name.endsWith('.d.ts') ? [path] : [];
  });
}

function importGraph(files: string[]): Map<string, string[]> {
  const known = new Set(files);
  return new Map(
    files.map((file) => {
      const text = readFileSync(file, 'utf8');
      const targets = [...text.matchAll(IMPORT)].map((m) => resolve(dirname(file), (m[1] ?? m[2] ?? m[3])!));
      return [file, targets.filter((t) => known.has(t))];
    }),
  );
}

/** Every cycle found by depth-first search, each as the files along it (first file repeated at the end). */
function findCycles(graph: Map<string, string[]>): string[][] {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (file: string): void => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return cycles;
}

test('the walker sees a cycle when there is one', () => {
  const graph = new Map([
    ['main.ts', ['run-command.ts', 'common.ts']],
    ['run-command.ts', ['common.ts', 'main.ts']],
    ['common.ts', []],
  ]);
  expect(findCycles(graph)).toEqual([['main.ts', 'run-command.ts', 'main.ts']]);
});

test('the sources have no import cycle', () => {
  const files = FOLDERS.flatMap((f) => sources(join(root, f)));
  const graph = importGraph(files);
  // The walker must actually see the CLI's imports, or an empty graph would pass.
  expect(graph.get(join(root, 'harness', 'cli', 'main.ts'))).toContain(join(root, 'harness', 'cli', 'common.ts'));
  const cycles = findCycles(graph).map((c) => c.map((f) => relative(root, f)).join(' → '));
  expect(cycles).toEqual([]);
});
