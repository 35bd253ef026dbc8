// The client under test never inherits the shell's trust, proxy or credential settings. The project's
// machines export SSL_CERT_FILE and friends; a user's shell may also set a proxy or keep a ~/.netrc. Any of
// them reaching the client changes its code path (httpx honours all of them with trust_env, its default),
// so the same release would get another verdict on another machine. Here the shell is made as hostile as
// it can be: a dead proxy for every scheme, CA bundles that trust nothing, a netrc with credentials for the
// fixtures' host. Were any of it inherited, requests would go to the dead proxy or fail verification, and
// verdicts would move.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { clientHome, sanitisedEnvironment } from '../harness/runtime/client-process.ts';
import { defaultCacheDir } from '../harness/runtime/python-env.ts';
import type { CaseResult } from '../harness/types.ts';

const ROOT = join(import.meta.dirname, '..');
// The whole catalogue, for one release of each family: httpx, requests at 2.32.3 (whose #6730 regression
// disappears when REQUESTS_CA_BUNDLE reaches it: the case must still reproduce) and urllib3 at 2.0.5 (whose
// redirect leaks a proxy would hide), and aiohttp at 3.9.5 (no retry after an idle close, aio-libs/aiohttp#7297).
const CLIENTS = ['httpx==0.28.1', 'requests==2.32.3', 'urllib3==2.0.5', 'aiohttp==3.9.5'];
let scratch = '';
let hostile: Record<string, string> = {};

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'regress-hostile-env-'));
  const home = join(scratch, 'home');
  await mkdir(home);
  const netrc = 'machine 127.0.0.1 login leaked password from-the-users-netrc\nmachine localhost login leaked password from-the-users-netrc\n';
  await writeFile(join(home, '.netrc'), netrc, { mode: 0o600 });
  const bundle = join(scratch, 'nothing-trusted.pem');
  await writeFile(bundle, '');
  const dead = 'http://127.0.0.1:9';
  hostile = {
    // The harness itself keeps its cache (its HOME would otherwise move it): the environments the clean
    // run installed are used as they are, so nothing here needs the network the dead proxy would break.
    REGRESS_CACHE_DIR: defaultCacheDir(),
    HOME: home,
    NETRC: join(home, '.netrc'),
    SSL_CERT_FILE: bundle,
    SSL_CERT_DIR: scratch,
    REQUESTS_CA_BUNDLE: bundle,
    CURL_CA_BUNDLE: bundle,
    HTTP_PROXY: dead,
    HTTPS_PROXY: dead,
    ALL_PROXY: dead,
    http_proxy: dead,
    https_proxy: dead,
    all_proxy: dead,
    NO_PROXY: '',
    no_proxy: '',
  };
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

async function verdicts(env: Record<string, string>): Promise<Record<string, string>> {
  const args = ['bin/regress.js', 'run', ...CLIENTS.flatMap((c) => ['--client', c]), '--no-repeat', '--json', '--no-report', '--concurrency', '8'];
  const run = await execa(process.execPath, args, { cwd: ROOT, reject: false, env, extendEnv: false });
  expect(run.stdout, run.stderr).not.toBe('');
  const results = (JSON.parse(run.stdout) as { results: CaseResult[] }).results;
  expect(results.length, run.stderr).toBeGreaterThan(10);
  // Every family ran: a family missing from the run would pass this test having checked nothing of it.
  expect(new Set(results.map((r) => r.client))).toEqual(new Set(CLIENTS));
  // Reasons hold per-run figures (ports, timings); the verdict is what must not move.
  return Object.fromEntries(results.map((r) => [`${r.scenario}/${r.case} × ${r.client}`, r.verdict === 'error' ? `error: ${r.evidence.reason}` : r.verdict]));
}

describe("the shell's trust, proxy and credential settings never reach the client", () => {
  test('the environment a client gets is an allowlist: none of the hostile variables, and a HOME of its own', () => {
    for (const family of ['httpx', 'requests', 'urllib3']) {
      const env = sanitisedEnvironment(family);
      for (const name of Object.keys(hostile).filter((n) => n !== 'HOME' && n !== 'REGRESS_CACHE_DIR')) expect(env, `${family}: ${name}`).not.toHaveProperty(name);
    }
    const env = sanitisedEnvironment('httpx');
    for (const name of Object.keys(hostile).filter((n) => n !== 'HOME' && n !== 'REGRESS_CACHE_DIR')) expect(env, name).not.toHaveProperty(name);
    expect(env.HOME).toBe(clientHome());
    expect(env.HOME).not.toBe(process.env.HOME);
  });

  test('the catalogue gives the same verdicts from a hostile shell as from the shell of this machine', { timeout: 300_000 }, async () => {
    // The baseline is this machine's own shell: the harness needs it to install the release (its installers
    // reach the package index through the machine's trust settings). The hostile run then finds the release
    // installed and needs no network, which its dead proxy would break.
    const machine = { ...(process.env as Record<string, string>), REGRESS_CACHE_DIR: defaultCacheDir() };
    const clean = await verdicts(machine);
    const fromHostile = await verdicts({ ...machine, ...hostile });
    expect(fromHostile).toEqual(clean);
    // requests 2.32.3's #6730 regression (an adapter's own SSLContext loses the default CA bundle) is exactly
    // what an inherited REQUESTS_CA_BUNDLE hides: it must still be reproduced from the hostile shell.
    expect(fromHostile['requests-adapter-ssl-context/adapter-context-default-ca × requests==2.32.3']).toBe('reproduced');
  });
});
