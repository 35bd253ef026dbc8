// How a result names what its client ran on: "Python 3.11.2" for a Python client, "Node 20.20.2" for an
// npm client (for node:http and the built-in fetch that Node release is also the release under test).
import type { InstalledClient } from './types.ts';

export function runtimeLabel(installed: Pick<InstalledClient, 'python' | 'node'> | null | undefined): string {
  if (!installed) return '?';
  return installed.node ? `Node ${installed.node}` : `Python ${installed.python || '?'}`;
}
