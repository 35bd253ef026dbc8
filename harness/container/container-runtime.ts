// The container runtime: client programs run inside an image through testcontainers, one long-lived
// container per image and many execs, with host networking so fixtures on 127.0.0.1 are reached.
//
// Two kinds of target:
//   imageTarget   the image's own Python and installed client (canary validation of a release image)
//   pythonTarget  a client spec installed for a Python version inside a base image; the result is
//                 committed as a local image, so a second run does not reinstall
//
// The project's client programs, the compat module and the run's certificates are bind-mounted read-only
// at the same paths as on the host, so a client's input needs no path rewriting.
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { type Duplex, PassThrough } from 'node:stream';
import pLimit from 'p-limit';
import type { StartedTestContainer } from 'testcontainers';
import { ensureRunRoot, RUN_ROOT } from '../../certs/certificate-set.ts';
import { cgroupOwner, type SocketOwner } from '../../fixtures/socket-owner.ts';
import { ownerTag, registerCleanup } from '../runtime/cleanup.ts';
import { isStopping, Stopped } from '../runtime/process-group.ts';
import { CASE_SCOPE, COMPAT_DIR, processOutcome, sanitisedEnvironment } from '../runtime/client-process.ts';
import { ClientWorker, WORKER_PROGRAM, type WorkerChannel, workersEnabled } from '../runtime/client-worker.ts';
import { phase } from '../runtime/phase-log.ts';
import { pythonTooOld } from '../package-index.ts';
import { FAMILIES_DIR, family, FamilyError, familyOfNames } from '../families.ts';
import { InstallError, installedFromProbe, PROBE } from '../runtime/python-env.ts';
import type { ClientRun, ClientTarget, PreparedClient } from '../runtime/target.ts';
import { loadedProjectScenarioDirs, SCENARIOS_DIR } from '../scenarios.ts';
import { type ClientSpec, withClientExtras } from '../spec.ts';
import type { InstalledClient } from '../types.ts';
import { ContainerError, engine, HOST_LABEL, imageExists, MANAGED_LABEL, PID_LABEL, START_LABEL, sweepOrphans } from './engine.ts';
import { baseImageFor, imageNameProblem } from './images.ts';

/** Bump when the way spec images are built changes. */
const ENV_IMAGE_LAYOUT = 1;
const ENV_PYTHON = '/opt/regress/venv/bin/python';
const HOST_CA = '/etc/ssl/certs/ca-certificates.crt';

export class ContainerPool {
  readonly #containers = new Map<string, Promise<StartedTestContainer>>();
  readonly #unregister: () => void;
  #swept: Promise<unknown> | undefined;
  #disposed = false;

  constructor() {
    this.#unregister = registerCleanup(() => this.dispose());
  }

  /** The one container for an image, started on first use. */
  container(image: string, extraMounts: string[] = []): Promise<StartedTestContainer> {
    // After dispose (Ctrl-C) a new container would have nobody to remove it.
    if (this.#disposed || isStopping()) return Promise.reject(new Stopped());
    let started = this.#containers.get(image);
    if (!started) {
      started = this.#start(image, extraMounts);
      this.#containers.set(image, started);
      started.catch(() => this.#containers.delete(image));
    }
    return started;
  }

  async #start(image: string, extraMounts: string[]): Promise<StartedTestContainer> {
    await engine();
    this.#swept ??= sweepOrphans();
    await this.#swept;
    if (!(await imageExists(image))) {
      // Check first: testcontainers would otherwise try to pull, and no registry may be reachable.
      throw new ContainerError(
        `image ${image} not found on this Docker engine: pull or build it (the project's own: \`npx regress images build\`)`,
      );
    }
    await ensureRunRoot();
    const { GenericContainer, Wait } = await import('testcontainers');
    // A project's scenario folders (--scenarios) hold their client programs too.
    const mounts = [...new Set([SCENARIOS_DIR, ...loadedProjectScenarioDirs(), COMPAT_DIR, FAMILIES_DIR, RUN_ROOT, ...extraMounts])];
    // Names this one start attempt, so a container created but never started can be found and removed.
    const attempt = randomUUID();
    try {
      return await new GenericContainer(image)
        .withNetworkMode('host')
        .withEntrypoint(['sleep'])
        .withCommand(['infinity'])
        .withBindMounts(mounts.map((source) => ({ source, target: source, mode: 'ro' as const })))
        .withLabels({ [MANAGED_LABEL]: 'true', [PID_LABEL]: String(process.pid), [HOST_LABEL]: hostname(), [START_LABEL]: attempt })
        .withWaitStrategy(Wait.forListeningPorts())
        .withStartupTimeout(60_000)
        .start();
    } catch (error) {
      // testcontainers leaves a container that was created but failed to start (`Created`): remove it.
      await removeAttempt(attempt);
      throw new ContainerError(`cannot start a container from ${image}: ${(error as Error).message.split('\n')[0]}`);
    }
  }

  async dispose(): Promise<void> {
    this.#disposed = true;
    this.#unregister();
    const started = [...this.#containers.values()];
    this.#containers.clear();
    await Promise.allSettled(
      started.map(async (c) => (await c).stop({ remove: true, timeout: 0 })),
    );
  }
}

/** Run a command inside a container with a hard time limit (coreutils `timeout`, then a host-side guard). */
async function execWithLimit(
  container: StartedTestContainer,
  command: string[],
  env: Record<string, string>,
  timeLimitMs: number,
): Promise<{ stdout: string; stderr: string; exitCode: number | null; timedOut: boolean; durationMs: number }> {
  const started = performance.now();
  const seconds = Math.max(1, Math.ceil(timeLimitMs / 1000));
  const envArgs = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  // `env -i` gives the client exactly the sanitised environment, whatever the image sets (SSL_CERT_FILE,
  // proxies); `timeout -s KILL` enforces the case's limit inside the container.
  const full = ['timeout', '-s', 'KILL', String(seconds), 'env', '-i', ...envArgs, ...command];
  let guard: NodeJS.Timeout | undefined;
  const hung = new Promise<null>((resolve) => {
    guard = setTimeout(() => resolve(null), timeLimitMs + 15_000);
  });
  try {
    const result = await Promise.race([container.exec(full), hung]);
    const durationMs = Math.round(performance.now() - started);
    if (!result) return { stdout: '', stderr: 'exec did not return', exitCode: null, timedOut: true, durationMs };
    // 137 = killed by `timeout -s KILL`; 124 would be a TERM timeout.
    const timedOut = result.exitCode === 137 && durationMs >= timeLimitMs - 1000;
    return { stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode, timedOut, durationMs };
  } finally {
    clearTimeout(guard);
  }
}

/** Remove whatever one start attempt created; a failure to remove is left to the next run's sweep. */
async function removeAttempt(attempt: string): Promise<void> {
  try {
    const docker = (await engine()).container.dockerode;
    const created = await docker.listContainers({ all: true, filters: { label: [`${START_LABEL}=${attempt}`] } });
    await Promise.all(created.map((info) => docker.getContainer(info.Id).remove({ force: true }).catch(() => undefined)));
  } catch {
    // the engine went away: nothing more to do here
  }
}

async function probe(container: StartedTestContainer, python: string, image: string, familyId?: string): Promise<Omit<InstalledClient, 'module'>> {
  // In the client's sanitised environment (`env -i`), so an import failure is what the client will meet.
  const env = Object.entries(sanitisedEnvironment(familyId ?? null, { HOME: '/root', TMPDIR: '/tmp' })).map(([k, v]) => `${k}=${v}`);
  const module = familyId ? family(familyId).module : undefined;
  const result = await container.exec(['env', '-i', ...env, python, '-c', PROBE, ...(module ? [module] : [])]);
  if (result.exitCode !== 0) {
    const text = `${result.stdout}${result.stderr}`;
    if (result.exitCode === 126 || result.exitCode === 127 || /executable file not found|no such file/i.test(text)) {
      throw new ContainerError(`image ${image} has no Python at '${python}' (pass the interpreter with --image-python)`);
    }
    // Not Python at all (`--image-python perl`: perl read the probe's code as a file name, "File name too
    // long"): say that, not what the other program made of it.
    const python3 = await container.exec([python, '-c', 'import sys; print("regress-python", sys.version_info[0])']).catch(() => null);
    if (!python3 || python3.exitCode !== 0 || !/^regress-python 3\b/m.test(python3.stdout)) {
      throw new ContainerError(`'${python}' in image ${image} is not a Python 3 interpreter; name the image's Python with --image-python`);
    }
    throw new ContainerError(`cannot inspect Python in ${image}: ${text.trim().split('\n').at(-1)}`);
  }
  return { ...installedFromProbe(result.stdout, familyId), runtime: `container ${image}` };
}

function prepared(
  label: string,
  container: StartedTestContainer,
  python: string,
  familyId: string,
  installed: InstalledClient,
  created: boolean,
  durationMs: number,
): PreparedClient {
  // The container's processes are the client under test (one container per image): found through the
  // cgroup of its first process, read once.
  let owner: Promise<SocketOwner | null> | undefined;
  const containerOwner = (): Promise<SocketOwner | null> =>
    (owner ??= (async () => {
      const docker = (await engine()).container.dockerode;
      const info = await docker.getContainer(container.getId()).inspect();
      return cgroupOwner(info.State.Pid, `container ${container.getId().slice(0, 12)}`);
    })().catch(() => null));
  let worker: Promise<ClientWorker | null> | undefined;
  return {
    label,
    installed,
    family: familyId,
    module: installed.module,
    created,
    durationMs,
    warm: workersEnabled(),
    run: async (run: ClientRun) => {
      // One warm worker per container and interpreter, over one long exec (client-worker.ts); without one
      // (REGRESS_WORKER=0, a worker that cannot start or has died) an exec per case, as before.
      if (workersEnabled()) {
        worker ??= startContainerWorker(container, python, familyId, containerOwner).catch((error: Error) => {
          phase('container worker unavailable', error.message);
          return null;
        });
        const ready = await worker;
        if (ready?.alive) return ready.run(run);
      }
      // testcontainers' exec cannot feed stdin: the input goes in a file under the shared run root.
      await ensureRunRoot();
      // The owner in the name: a later start sweeps it if this process is killed before the finally.
      const dir = await mkdtemp(join(RUN_ROOT, `input-${ownerTag()}-`));
      const inputFile = join(dir, 'input.json');
      await writeFile(inputFile, JSON.stringify(run.input));
      try {
        const env = { ...sanitisedEnvironment(familyId, { HOME: '/root', TMPDIR: '/tmp' }), REGRESS_INPUT: inputFile };
        run.onStart?.(await containerOwner());
        // Through case_scope.py, as on the host: it puts the program's folder last on sys.path (clients/requests.py
        // first would shadow requests itself) and keeps what the case starts inside its scope.
        const result = await execWithLimit(container, [python, CASE_SCOPE, run.program], env, run.timeLimitMs);
        return processOutcome(result, run.now());
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

/**
 * The warm client worker inside a container: one exec with its stdin attached (testcontainers' exec cannot
 * attach stdin, so dockerode's, hijacked), the protocol on its stdout, stderr kept for diagnostics. The
 * children's pids are the container's: the worker kills a case's group at the time limit, and the fixtures
 * count every process of the container (its cgroup) as the client under test, as with an exec per case.
 */
async function startContainerWorker(
  container: StartedTestContainer,
  python: string,
  familyId: string,
  owner: () => Promise<SocketOwner | null>,
): Promise<ClientWorker> {
  const docker = (await engine()).container.dockerode;
  const env = Object.entries(sanitisedEnvironment(familyId, { HOME: '/root', TMPDIR: '/tmp' })).map(([k, v]) => `${k}=${v}`);
  const exec = await docker.getContainer(container.getId()).exec({
    Cmd: ['env', '-i', ...env, python, WORKER_PROGRAM],
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
  });
  const stream = (await exec.start({ hijack: true, stdin: true })) as Duplex & { ref?: () => void; unref?: () => void };
  const output = new PassThrough();
  const errors = new PassThrough();
  docker.modem.demuxStream(stream, output, errors);
  stream.on('end', () => {
    output.end();
    errors.end();
  });
  const channel: WorkerChannel = {
    input: stream,
    output,
    errors,
    onEnd: (listener) => {
      stream.on('error', (error: Error) => listener(`exec failed (${error.message})`));
      stream.on('close', () => listener('exec ended'));
    },
    close: () => stream.end(),
    ref: () => stream.ref?.(),
    unref: () => stream.unref?.(),
  };
  return ClientWorker.open(channel, `${python} in container ${container.getId().slice(0, 12)} (${familyId})`, { localPids: false, owner: () => owner() }, () => stream.destroy());
}

/**
 * Canary validation: the image's own Python and installed client. Its family is the one the image has
 * installed (requests beside urllib3 is requests: a companion is not a client of its own), or the one
 * `familyId` names when the image holds several (Debian's python3-requests image also tests urllib3).
 */
export function imageTarget(pool: ContainerPool, image: string, python = 'python3', familyId?: string): ClientTarget {
  // Bad input before anything starts: one line, not an engine error per case.
  const problem = imageNameProblem(image);
  if (problem) throw new ContainerError(`--image ${problem}`);
  if (!python.trim() || /[\s\0]/.test(python)) throw new ContainerError(`--image-python '${python}' is not an interpreter name or path`);
  const label = `image ${image}`;
  return {
    label,
    // Named (--image-family): its scenarios alone are planned; otherwise found when the image is probed.
    ...(familyId ? { family: familyId } : {}),
    prepare: async (onProgress) => {
      const started = performance.now();
      onProgress?.(`starting a container from ${image}`);
      const container = await pool.container(image);
      // With the family named, one probe tells both what is installed and whether its client imports.
      const found = await probe(container, python, image, familyId);
      const installedNames = Object.keys(found.packages).filter((n) => found.packages[n]);
      let chosen;
      try {
        chosen = familyId ? family(familyId) : familyOfNames(installedNames, `image ${image}`);
      } catch (error) {
        if (!(error instanceof FamilyError)) throw error;
        throw new ContainerError(`image ${image}: ${error.message.replace(/^client spec '[^']*' /, '')} for ${python} (name one with --image-family)`);
      }
      if (!found.packages[chosen.distribution]) throw new ContainerError(`image ${image} has no ${chosen.distribution} installed for ${python}`);
      // Found from what is installed: probed again for that family, so its import is checked and its
      // always-reported packages recorded.
      const checked = familyId ? found : await probe(container, python, image, chosen.id);
      return prepared(label, container, python, chosen.id, { ...checked, module: chosen.module }, false, Math.round(performance.now() - started));
    },
  };
}

/** A spec installed for a Python version inside its base image, committed once as a local image. */
export function pythonTarget(pool: ContainerPool, version: string, spec: ClientSpec, shownAs?: string): ClientTarget {
  const label = shownAs ?? `${spec.label} (Python ${version}, container)`;
  return {
    label,
    family: spec.family,
    key: `${spec.label} (Python ${version}, container)`,
    withExtras: (extras) => pythonTarget(pool, version, withClientExtras(spec, extras), label),
    prepare: async (onProgress) => {
      const started = performance.now();
      if (spec.localFiles.length) {
        throw new ContainerError('local file specs (name@file://...) are not supported by the container runtime yet');
      }
      const docker = (await engine()).container.dockerode;
      const base = await baseImageFor(version);
      const baseId = (await docker.getImage(base).inspect()).Id;
      // An unpinned spec ("httpx") is re-resolved once a day, as in the venv runtime.
      const day = spec.pinned ? null : new Date().toISOString().slice(0, 10);
      const hash = createHash('sha256').update(JSON.stringify({ ENV_IMAGE_LAYOUT, baseId, spec: spec.label, day })).digest('hex').slice(0, 16);
      const envImage = `regress/env:${hash}`;
      let created = false;
      if (!(await imageExists(envImage))) {
        if (isStopping()) throw new Stopped();
        onProgress?.(`installing ${spec.label} for Python ${version} in ${base}`);
        await buildSpecImage(base, envImage, spec, version);
        created = true;
      }
      const container = await pool.container(envImage);
      const found = await probe(container, ENV_PYTHON, envImage, spec.family);
      const installed = { ...found, runtime: `container ${base} (${envImage})`, module: spec.module };
      return prepared(label, container, ENV_PYTHON, spec.family, installed, created, Math.round(performance.now() - started));
    },
  };
}

/** Image builds three at a time (installs are network- and disk-bound); runs prepare all at once. */
const buildLimit = pLimit(3);

function buildSpecImage(base: string, envImage: string, spec: ClientSpec, version: string): Promise<void> {
  return buildLimit(async () => {
    if (await imageExists(envImage)) return;
    await buildSpecImageNow(base, envImage, spec, version);
  });
}

async function buildSpecImageNow(base: string, envImage: string, spec: ClientSpec, version: string): Promise<void> {
  const builder = new ContainerPool();
  try {
    const container = await builder.container(base, [HOST_CA]);
    const venv = await container.exec(['python3', '-m', 'venv', '/opt/regress/venv']);
    if (venv.exitCode !== 0) {
      throw new ContainerError(`cannot create a virtual environment in ${base}: ${venv.output.trim().split('\n').at(-1)}`);
    }
    // The install reaches the package index over the host's network, trusting what the host trusts.
    const install = await container.exec(
      ['/opt/regress/venv/bin/python', '-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', ...spec.requirements.map((r) => r.text)],
      { env: { PIP_CERT: HOST_CA, PIP_NO_INPUT: '1', ...(process.env.PIP_INDEX_URL ? { PIP_INDEX_URL: process.env.PIP_INDEX_URL } : {}) } },
    );
    if (install.exitCode !== 0) {
      const text = install.output;
      const detail = text.split('\n').map((l) => l.trim()).find((l) => /^ERROR:/.test(l)) ?? text.trim().split('\n').at(-1);
      const noMatch = /No matching distribution|Could not find a version/i.test(text);
      // The index's Requires-Python tells "Python too old" apart from "no such release".
      const full = (await container.exec(['python3', '-c', 'import platform; print(platform.python_version())'])).stdout.trim();
      const tooOld = noMatch ? (await Promise.all(spec.requirements.map((r) => pythonTooOld(r, full)))).find(Boolean) : null;
      throw new InstallError(
        tooOld
          ? `cannot install '${spec.label}' in ${base}: Python ${full} is too old (${tooOld})`
          : noMatch
            ? `cannot install '${spec.label}' for Python ${version} (${base}): no matching release (${detail})`
            : `cannot install '${spec.label}' in ${base}: ${detail}`,
        noMatch,
      );
    }
    await container.commit({ repo: envImage.split(':')[0]!, tag: envImage.split(':')[1]!, deleteOnExit: false });
  } finally {
    await builder.dispose();
  }
}
