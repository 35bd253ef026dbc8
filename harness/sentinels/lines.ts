// The client lines sentinels are put into: one per client family (families/<id>/family.json), each its
// client package and the packages released with it (`sentinelPackages`). A sentinel build of one package is
// installed beside the newest release of the others, so the resolver cannot pick a different combination.
// A family whose release is the Node release (node:http, the built-in fetch) has no line: its client is
// compiled into the node binary, which no edit of a package's files reaches.
import { families } from '../families.ts';

/** A client family's id. */
export type ClientLine = string;

export interface LineDefinition {
  /** Import name of the client under test. */
  module: string;
  /** Distribution names, client first. */
  packages: string[];
}

export const CLIENT_LINES: Record<ClientLine, LineDefinition> = Object.fromEntries(
  families().filter((f) => !f.nodeIsRelease).map((f) => [f.id, { module: f.module, packages: f.sentinelPackages }]),
);

/** The line of that family id; a sentinel naming an unknown line is the author's mistake, found at load time. */
export function lineDefinition(line: ClientLine): LineDefinition {
  const found = CLIENT_LINES[line];
  if (!found && families().some((f) => f.id === line)) {
    throw new Error(`the ${line} family has no sentinel line: its release is the Node release, whose client is built into the node binary`);
  }
  if (!found) throw new Error(`unknown client line '${line}' (known: ${Object.keys(CLIENT_LINES).join(', ')})`);
  return found;
}
