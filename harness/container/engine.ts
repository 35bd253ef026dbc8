// The Docker engine as testcontainers sees it. No registry is reachable on the project's machines, so
// Ryuk (the reaper testcontainers pulls) is off and the harness removes its own containers: each carries
// labels naming the harness and the process that started it, and containers whose process is gone are
// swept at the next start.
import { hostname } from 'node:os';
import type { ContainerRuntimeClient } from 'testcontainers';
import { isAlive } from '../runtime/cleanup.ts';
import { BadInput } from '../session.ts';

process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';

export const MANAGED_LABEL = 'org.regress.managed';
export const PID_LABEL = 'org.regress.pid';
export const HOST_LABEL = 'org.regress.host';
/** One start attempt: lets a container that was created but never started be removed. */
export const START_LABEL = 'org.regress.start';

export class ContainerError extends BadInput {}

let client: Promise<ContainerRuntimeClient> | undefined;

/** The engine's client, or one clear error when no engine answers. */
export function engine(): Promise<ContainerRuntimeClient> {
  client ??= (async () => {
    const { getContainerRuntimeClient } = await import('testcontainers');
    try {
      return await getContainerRuntimeClient();
    } catch (error) {
      client = undefined;
      throw new ContainerError(
        `no Docker engine reachable (${(error as Error).message}): start dockerd, or point DOCKER_HOST at an engine`,
      );
    }
  })();
  return client;
}

export async function imageExists(name: string): Promise<boolean> {
  const { ImageName } = await import('testcontainers');
  return (await engine()).image.exists(ImageName.fromString(name));
}

/** Remove containers a previous run left behind (it was killed before it could clean up). */
export async function sweepOrphans(): Promise<number> {
  const docker = (await engine()).container.dockerode;
  const leftovers = await docker.listContainers({ all: true, filters: { label: [`${MANAGED_LABEL}=true`] } });
  let removed = 0;
  for (const info of leftovers) {
    // Only this host's runs, and only those whose process is gone: an engine may be shared.
    if (info.Labels[HOST_LABEL] !== hostname()) continue;
    const pid = Number(info.Labels[PID_LABEL]);
    if (pid === process.pid || isAlive(pid)) continue;
    await docker.getContainer(info.Id).remove({ force: true }).catch(() => undefined);
    removed += 1;
  }
  return removed;
}
