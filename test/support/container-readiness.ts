// Whether the container tests can run here: an engine and the images they use. Outside CI a test that
// cannot run skips with one line saying why; in CI (.ci/run starts dockerd and builds the images) it fails.
import { engine, imageExists } from '../../harness/container/engine.ts';

export async function containerReadiness(images: string[]): Promise<{ notReady: string | null; requireReady: (skip: (note: string) => void) => void }> {
  let notReady: string | null = null;
  try {
    await engine();
    for (const image of images) {
      if (!(await imageExists(image))) {
        notReady = `image ${image} missing: run npx regress images build`;
        break;
      }
    }
  } catch (error) {
    notReady = (error as Error).message;
  }
  return {
    notReady,
    requireReady: (skip) => {
      if (!notReady) return;
      if (process.env.CI) throw new Error(`container tests must run in CI: ${notReady}`);
      skip(`container runtime unavailable: ${notReady}`);
    },
  };
}
