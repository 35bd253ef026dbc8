// OpenAPI comparison for `regress smoke`: api-smart-diff finds and classifies the changes between the
// snapshot and the document the canary serves; this module sorts its verdicts and makes each change one
// line a reader can act on. A change the library calls breaking (a removed path or operation, a removed or
// newly required parameter, a narrowed response) fails the check; everything else is listed and passes.
//
// The library reports a change inside a shared schema (components/schemas/X) once where it is defined and
// again through every operation whose schema refers to it, classified separately (the definition can be
// breaking while its echoes are not). Such reports are one change here: grouped by the place they resolve
// to, classified by the most severe of them, naming every operation they reach. A change the library
// gives no description gets one from its action and place, so no line is blank.
import { apiCompare } from 'api-smart-diff';

export interface ApiChange {
  type: string;
  action: string;
  /** JSON pointer into the document where the change is defined, e.g. /paths/~1api~1items/delete. */
  path: string;
  /** The operations it reaches, as METHOD /path (none for document-level changes). */
  operations: string[];
  /** One line: the operations, then the library's description of the change. */
  description: string;
}

export interface ApiComparison {
  breaking: ApiChange[];
  /** Every other change (non-breaking, deprecated, annotation, unclassified), listed but passing. */
  other: ApiChange[];
}

const SEVERITY = ['breaking', 'deprecated', 'non-breaking', 'annotation', 'unclassified'];
const METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);
const VERB: Record<string, string> = { add: 'Added', remove: 'Removed', replace: 'Replaced', rename: 'Renamed' };

/** Why a document cannot be compared as OpenAPI 3 (the only version api-smart-diff classifies), or null. */
export function notOpenApi3(document: unknown): string | null {
  if (!document || typeof document !== 'object' || Array.isArray(document)) return 'the document is not a JSON object';
  const version = (document as { openapi?: unknown; swagger?: unknown }).openapi;
  if (typeof version === 'string' && version.startsWith('3.')) return null;
  const swagger = (document as { swagger?: unknown }).swagger;
  if (swagger) return `the document is Swagger ${String(swagger)}; the comparison needs OpenAPI 3.x`;
  return 'the document has no "openapi": "3.x" field';
}

type Segment = string | number;

const pointer = (path: Segment[]): string => `/${path.map((p) => String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`;

/** The segments of a local $ref (#/components/schemas/Item), or null for any other reference. */
function refPath(ref: unknown): Segment[] | null {
  if (typeof ref !== 'string' || !ref.startsWith('#/')) return null;
  return ref.slice(2).split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function at(document: unknown, path: Segment[]): unknown {
  let node = document;
  for (const segment of path) {
    if (!node || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[String(segment)];
  }
  return node;
}

/**
 * Where a path through the document is defined: each $ref met on the way is followed, so a change seen
 * through /paths/~1a/get/.../schema/properties/id is placed at /components/schemas/Item/properties/id.
 */
function definedAt(document: unknown, path: Segment[]): Segment[] {
  let place: Segment[] = [];
  let node = document;
  const seen = new Set<string>();
  for (const segment of path) {
    // Follow references (a chain of them too) before stepping in; a cycle stops where it closes.
    for (;;) {
      const target = node && typeof node === 'object' ? refPath((node as { $ref?: unknown }).$ref) : null;
      if (!target || seen.has(target.join('/'))) break;
      seen.add(target.join('/'));
      place = target;
      node = at(document, target);
    }
    place = [...place, segment];
    node = node && typeof node === 'object' ? (node as Record<string, unknown>)[String(segment)] : undefined;
  }
  return place;
}

/** The operation a path is under (METHOD /path), or null. */
function operationOf(path: Segment[]): string | null {
  if (path[0] !== 'paths' || path.length < 3) return null;
  const method = String(path[2]).toLowerCase();
  return METHODS.has(method) ? `${method.toUpperCase()} ${String(path[1])}` : null;
}

/** Every operation whose definition refers (directly or through other schemas) to the component at `place`. */
function operationsUsing(document: unknown, place: Segment[]): string[] {
  const target = `#/${place.map((p) => String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`;
  const refersTo = (node: unknown, seen: Set<unknown>): boolean => {
    if (!node || typeof node !== 'object' || seen.has(node)) return false;
    seen.add(node);
    const ref = (node as { $ref?: unknown }).$ref;
    if (typeof ref === 'string' && (ref === target || target.startsWith(`${ref}/`))) return true;
    if (typeof ref === 'string' && refPath(ref) && refersTo(at(document, refPath(ref)!), seen)) return true;
    return Object.values(node as object).some((child) => refersTo(child, seen));
  };
  const found: string[] = [];
  const paths = (document as { paths?: Record<string, Record<string, unknown>> } | null)?.paths ?? {};
  for (const [route, item] of Object.entries(paths)) {
    for (const [method, operation] of Object.entries(item ?? {})) {
      if (METHODS.has(method) && refersTo(operation, new Set())) found.push(`${method.toUpperCase()} ${route}`);
    }
  }
  return found;
}

export function compareOpenApi(before: unknown, after: unknown): ApiComparison {
  const { diffs } = apiCompare(before as object, after as object);
  // Group the library's reports by where the change is defined (in the document that has the place).
  const groups = new Map<string, { action: string; place: Segment[]; reports: { type: string; path: Segment[]; description: string }[] }>();
  for (const d of diffs) {
    const path = d.path as Segment[];
    const source = d.action === 'add' ? after : before;
    const place = definedAt(source, path);
    const key = `${d.action} ${pointer(place)}`;
    const group = groups.get(key) ?? { action: String(d.action), place, reports: [] };
    group.reports.push({ type: String(d.type), path, description: (d.description ?? '').trim() });
    groups.set(key, group);
  }
  const changes: ApiChange[] = [...groups.values()].map(({ action, place, reports }) => {
    const type = reports.map((r) => r.type).sort((a, b) => rank(a) - rank(b))[0]!;
    const direct = reports.map((r) => operationOf(r.path)).filter((o): o is string => o !== null);
    const operations = [...new Set(direct.length ? direct : operationsUsing(action === 'add' ? after : before, place))];
    // The most specific description: an operation's (it says where in the operation), else any, else one
    // made from the action and the place.
    const text = reports.find((r) => r.description && operationOf(r.path))?.description || reports.find((r) => r.description)?.description || `[${VERB[action] ?? action}] ${place.join('.')}`;
    const scope = operations.length ? operations.join(', ') : `document ${place.slice(0, 2).join('.')}`;
    // "[Removed] operation DELETE /x" already names its operation.
    const description = operations.length === 1 && text.includes(operations[0]!) ? text : `${scope}: ${text}`;
    return { type, action, path: pointer(place), operations, description };
  });
  return { breaking: changes.filter((c) => c.type === 'breaking'), other: changes.filter((c) => c.type !== 'breaking') };
}

function rank(type: string): number {
  const i = SEVERITY.indexOf(type);
  return i < 0 ? SEVERITY.length : i;
}
