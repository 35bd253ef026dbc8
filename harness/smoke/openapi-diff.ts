// OpenAPI comparison for `regress smoke`: api-smart-diff finds and classifies the changes between the
// snapshot and the document the canary serves; this module only sorts its verdicts. A change the library
// calls breaking (a removed path or operation, a removed or newly required parameter, a narrowed response)
// fails the check; everything else is listed and passes.
import { apiCompare } from 'api-smart-diff';

export interface ApiChange {
  type: string;
  action: string;
  /** JSON pointer into the document, e.g. /paths/~1api~1items/delete. */
  path: string;
  description: string;
}

export interface ApiComparison {
  breaking: ApiChange[];
  /** Every other change (non-breaking, deprecated, annotation, unclassified), listed but passing. */
  other: ApiChange[];
}

/** Why a document cannot be compared as OpenAPI 3 (the only version api-smart-diff classifies), or null. */
export function notOpenApi3(document: unknown): string | null {
  if (!document || typeof document !== 'object' || Array.isArray(document)) return 'the document is not a JSON object';
  const version = (document as { openapi?: unknown; swagger?: unknown }).openapi;
  if (typeof version === 'string' && version.startsWith('3.')) return null;
  const swagger = (document as { swagger?: unknown }).swagger;
  if (swagger) return `the document is Swagger ${String(swagger)}; the comparison needs OpenAPI 3.x`;
  return 'the document has no "openapi": "3.x" field';
}

export function compareOpenApi(before: unknown, after: unknown): ApiComparison {
  const { diffs } = apiCompare(before as object, after as object);
  const changes = diffs.map((d) => ({
    type: String(d.type),
    action: String(d.action),
    path: `/${d.path.map((p) => String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`,
    description: d.description ?? `${d.action} ${d.path.join('.')}`,
  }));
  return { breaking: changes.filter((c) => c.type === 'breaking'), other: changes.filter((c) => c.type !== 'breaking') };
}
