// The client lines sentinels are put into: each is a client package and the transport package it is
// released with. A sentinel build of one package is installed beside the newest release of the others, so
// the resolver cannot pick a different combination.
export type ClientLine = 'httpx' | 'httpx2';

export interface LineDefinition {
  /** Import name of the client under test. */
  module: ClientLine;
  /** Distribution names, client first. */
  packages: string[];
}

export const CLIENT_LINES: Record<ClientLine, LineDefinition> = {
  httpx: { module: 'httpx', packages: ['httpx', 'httpcore'] },
  httpx2: { module: 'httpx2', packages: ['httpx2', 'httpcore2'] },
};
