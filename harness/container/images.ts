// Local images without a registry. `regress images build` bootstraps Debian root filesystems with
// mmdebstrap (which finds Debian's packages by itself) and imports them into Docker:
//   regress/python:3.9    bullseye   regress/python:3.11   bookworm   regress/python:3.13   trixie
//   regress/app-python3-httpx:bookworm   Debian's python3-httpx (httpx 0.23.3, httpcore 0.16.3), installed
//                                        the way a distro-based service installs it: the canary stand-in
//   regress/app-python3-requests:bookworm  Debian's python3-requests + python3-urllib3 (requests 2.28.1,
//   regress/app-python3-requests:trixie    urllib3 1.26.12 / requests 2.32.3, urllib3 2.3.0): version numbers
//                                        scanners flag although Debian backports security fixes; the CVE
//                                        scenarios judge the packaged build by behaviour (README "Distro packages")
// Users with a registry get python:<version>-slim as the base when no local image exists.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { ContainerError, engine, imageExists } from './engine.ts';

export interface ImageRecipe {
  tag: string;
  suite: string;
  extraPackages: string[];
  purpose: string;
}

const BASE_PACKAGES = ['python3', 'python3-venv', 'python3-pip', 'ca-certificates'];

export const IMAGE_RECIPES: ImageRecipe[] = [
  { tag: 'regress/python:3.9', suite: 'bullseye', extraPackages: [], purpose: 'base for --python 3.9' },
  { tag: 'regress/python:3.11', suite: 'bookworm', extraPackages: [], purpose: 'base for --python 3.11' },
  { tag: 'regress/python:3.13', suite: 'trixie', extraPackages: [], purpose: 'base for --python 3.13' },
  {
    tag: 'regress/app-python3-httpx:bookworm',
    suite: 'bookworm',
    extraPackages: ['python3-httpx'],
    purpose: "an app image: Debian's python3-httpx, for canary tests",
  },
  // The distro question: does Debian's packaged requests/urllib3 behave fixed for a CVE its upstream
  // version number is flagged for? Run as the requests family, or as urllib3 with --image-family urllib3.
  {
    tag: 'regress/app-python3-requests:bookworm',
    suite: 'bookworm',
    extraPackages: ['python3-requests', 'python3-urllib3'],
    purpose: "Debian's python3-requests and python3-urllib3 (security fixes backported), for the CVE scenarios",
  },
  {
    tag: 'regress/app-python3-requests:trixie',
    suite: 'trixie',
    extraPackages: ['python3-requests', 'python3-urllib3'],
    purpose: "Debian's python3-requests and python3-urllib3 (security fixes backported), for the CVE scenarios",
  },
];

/** The base image for a Python version: the local regress image, else python:<v>-slim (pulled if needed). */
export async function baseImageFor(version: string): Promise<string> {
  if (!/^3\.\d+$/.test(version)) throw new ContainerError(`--python takes a version such as 3.11 with the container runtime, got '${version}'`);
  const local = `regress/python:${version}`;
  if (await imageExists(local)) return local;
  const slim = `python:${version}-slim`;
  if (await imageExists(slim)) return slim;
  const { ImageName } = await import('testcontainers');
  try {
    await (await engine()).image.pull(ImageName.fromString(slim));
    if (await imageExists(slim)) return slim;
  } catch {
    // fall through to the one clear message below
  }
  const known = IMAGE_RECIPES.filter((r) => r.tag.startsWith('regress/python:')).map((r) => r.tag.split(':')[1]).join(', ');
  throw new ContainerError(
    `no image for Python ${version}: neither ${local} nor ${slim} is available and ${slim} cannot be pulled` +
      (IMAGE_RECIPES.some((r) => r.tag === local) ? ` (build it with \`npx regress images build\`)` : ` (local builds exist for ${known})`),
  );
}

export async function buildImages(
  recipes: ImageRecipe[],
  options: { force?: boolean; onProgress?: (line: string) => void } = {},
): Promise<{ tag: string; built: boolean; seconds: number }[]> {
  await engine();
  try {
    await execa('mmdebstrap', ['--version']);
  } catch {
    throw new ContainerError("mmdebstrap is not installed: apt-get install mmdebstrap (it builds images from Debian's packages)");
  }
  const say = options.onProgress ?? (() => undefined);
  // Two at a time: the work is mostly downloading and unpacking.
  const queue = [...recipes];
  const done: { tag: string; built: boolean; seconds: number }[] = [];
  await Promise.all(
    [0, 1].map(async () => {
      while (queue.length) {
        const recipe = queue.shift()!;
        const started = performance.now();
        if (!options.force && (await imageExists(recipe.tag))) {
          say(`${recipe.tag}: present`);
          done.push({ tag: recipe.tag, built: false, seconds: 0 });
          continue;
        }
        say(`${recipe.tag}: bootstrapping Debian ${recipe.suite} (${recipe.purpose})…`);
        await buildOne(recipe);
        const seconds = Math.round((performance.now() - started) / 100) / 10;
        say(`${recipe.tag}: built in ${seconds} s`);
        done.push({ tag: recipe.tag, built: true, seconds });
      }
    }),
  );
  return done;
}

async function buildOne(recipe: ImageRecipe): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'regress-image-'));
  const tar = join(dir, 'rootfs.tar');
  try {
    const packages = [...BASE_PACKAGES, ...recipe.extraPackages].join(',');
    // A file first, so a failed bootstrap is never imported half-done; no mirror is named here:
    // mmdebstrap uses Debian's default.
    const boot = await execa('mmdebstrap', ['--variant=apt', `--include=${packages}`, recipe.suite, tar], {
      stdin: 'ignore',
      reject: false,
    });
    if (boot.exitCode !== 0) {
      throw new ContainerError(`mmdebstrap failed for ${recipe.tag}: ${`${boot.stderr}`.trim().split('\n').at(-1)}`);
    }
    const changes = [
      'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      'ENV LANG=C.UTF-8',
      `LABEL org.regress.suite=${recipe.suite}`,
      'CMD ["python3"]',
    ].flatMap((c) => ['--change', c]);
    const imported = await execa('docker', ['import', ...changes, tar, recipe.tag], { reject: false });
    if (imported.exitCode !== 0) throw new ContainerError(`docker import failed for ${recipe.tag}: ${imported.stderr.trim()}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// Docker's reference grammar (distribution/reference): [registry[:port]/]path[:tag][@digest], path
// components lower-case, the first part a registry only when it has a '.' or ':' or is localhost; or an
// image id. Checked before anything starts, so `--image "Bad Name!!"` is one line of bad input, not an
// engine error per case.
const DOMAIN_PART = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = new RegExp(`^(?:${DOMAIN_PART}(?:\\.${DOMAIN_PART})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?$`);
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const PATH = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*(?::[\\w][\\w.-]{0,127})?(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$`);
const IMAGE_ID = /^(?:sha256:)?[0-9a-f]{12,64}$/;

/** Why `name` cannot name an image, or null when it can. */
export function imageNameProblem(name: string): string | null {
  if (IMAGE_ID.test(name)) return null;
  const slash = name.indexOf('/');
  const first = slash === -1 ? '' : name.slice(0, slash);
  const registry = first && (/[.:]/.test(first) || first === 'localhost') ? first : '';
  const path = registry ? name.slice(slash + 1) : name;
  if (name.length > 255 || (registry && !DOMAIN.test(registry)) || !PATH.test(path)) {
    return `'${name}' is not an image name (such as regress/app-python3-httpx:bookworm or registry.example/team/app:1.2; repository names are lower-case, no spaces)`;
  }
  return null;
}
