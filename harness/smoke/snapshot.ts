// The smoke snapshot file (--snapshot FILE): the OpenAPI document and the JSON shapes a canary is compared
// with. Read before anything runs (a missing or unreadable one is bad input); written only with
// --update-snapshot, atomically (writeFileWhole: every byte written to a temporary file, then renamed over the old one), and only
// with parts that were fetched: a check that failed keeps the previous entry.
import { readFile } from 'node:fs/promises';
import { writeFileWhole } from '../atomic-file.ts';
import { BadInput } from '../session.ts';
import type { Shape } from './json-shape.ts';

export const SNAPSHOT_FORMAT = 'regress-smoke-snapshot/1';

export interface SmokeSnapshot {
  format: typeof SNAPSHOT_FORMAT;
  /** When it was written, and from which URL (informational: a snapshot compares any canary). */
  takenAt?: string;
  url?: string;
  openapi?: { path: string; document: unknown };
  shapes?: Record<string, Shape>;
}

/** The snapshot, or null when the file does not exist (allowed only with --update-snapshot). */
export async function readSnapshot(file: string): Promise<SmokeSnapshot | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new BadInput(`cannot read snapshot ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new BadInput(`snapshot ${file} is not JSON: ${(error as Error).message}`);
  }
  if (!parsed || typeof parsed !== 'object' || (parsed as SmokeSnapshot).format !== SNAPSHOT_FORMAT) {
    throw new BadInput(`snapshot ${file} is not a regress smoke snapshot (no "format": "${SNAPSHOT_FORMAT}")`);
  }
  return parsed as SmokeSnapshot;
}

export async function writeSnapshot(file: string, snapshot: SmokeSnapshot): Promise<void> {
  await writeFileWhole(file, `${JSON.stringify(snapshot, null, 2)}\n`);
}
