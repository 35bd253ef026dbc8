// JSON shapes for `regress smoke --shape PATH`: the types of a payload's keys, recursively. A snapshot
// shape compared with the live one fails on a removed key or a changed type; added keys are listed.
//   shape of 1 → "number", "a" → "string", null → "null", {a: 1} → {a: "number"},
//   [{a: 1}, {a: 2, b: "x"}] → [{a: "number", b: "string"}]  (array elements merged), [] → []
//   [1, null, "x"] → ["null|number|string"]; [{a: 1}, null] → [{a: "number"}] (a nullable object keeps
//   its keys: what a consumer reads from it is what matters)

export type Shape = string | Shape[] | { [key: string]: Shape };

export function shapeOf(value: unknown): Shape {
  if (value === null) return 'null';
  if (Array.isArray(value)) {
    if (value.length === 0) return [];
    return [value.map(shapeOf).reduce(merge)];
  }
  if (typeof value === 'object') {
    return Object.fromEntries(Object.keys(value as object).sort().map((k) => [k, shapeOf((value as Record<string, unknown>)[k])]));
  }
  return typeof value;
}

/** Two element shapes of one array as one: keys of both; a key whose types differ becomes "a|b". */
function merge(a: Shape, b: Shape): Shape {
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return Object.fromEntries(keys.map((k) => [k, a[k] === undefined ? b[k]! : b[k] === undefined ? a[k]! : merge(a[k]!, b[k]!)]));
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (!a.length) return b;
    if (!b.length) return a;
    return [merge(a[0]!, b[0]!)];
  }
  if (typeof a === 'string' && typeof b === 'string') return union(a, b);
  // A structure beside null stays the structure; beside another scalar type the keys cannot be kept.
  if (a === 'null') return b;
  if (b === 'null') return a;
  return union(kind(a), kind(b));
}

function union(a: string, b: string): string {
  return [...new Set([...a.split('|'), ...b.split('|')])].sort().join('|');
}

function isObject(s: Shape): s is { [key: string]: Shape } {
  return typeof s === 'object' && !Array.isArray(s);
}

function isScalar(s: Shape): s is string {
  return typeof s === 'string';
}

function kind(s: Shape): string {
  return typeof s === 'string' ? s : Array.isArray(s) ? 'array' : 'object';
}

export interface ShapeChange {
  /** Where, as a path: `[].tags`, `.owner.name`. */
  at: string;
  change: 'removed' | 'type-changed' | 'added';
  before?: string;
  after?: string;
}

/** Every difference; `removed` and `type-changed` fail a check, `added` is listed. */
export function compareShapes(before: Shape, after: Shape, at = ''): ShapeChange[] {
  if (isObject(before) && isObject(after)) {
    const changes: ShapeChange[] = [];
    for (const key of Object.keys(before)) {
      const where = `${at}.${key}`;
      if (after[key] === undefined) changes.push({ at: where, change: 'removed', before: kind(before[key]!) });
      else changes.push(...compareShapes(before[key]!, after[key]!, where));
    }
    for (const key of Object.keys(after)) if (before[key] === undefined) changes.push({ at: `${at}.${key}`, change: 'added', after: kind(after[key]!) });
    return changes;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    // An empty array (either side) says nothing about its elements' type.
    if (!before.length || !after.length) return [];
    return compareShapes(before[0]!, after[0]!, `${at}[]`);
  }
  const kb = kind(before);
  const ka = kind(after);
  // A type the snapshot never saw here is a change; fewer types than it saw (no null this time) is not.
  const seen = new Set(kb.split('|'));
  if (ka.split('|').every((t) => seen.has(t))) return [];
  if (after === 'null' && !isScalar(before)) return [];
  return [{ at: at || '(root)', change: 'type-changed', before: kb, after: ka }];
}

export function isBreakingShapeChange(change: ShapeChange): boolean {
  return change.change !== 'added';
}
