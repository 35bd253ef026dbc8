// `regress smoke --url URL`: canary checks (TLS handshake, health paths, OpenAPI diff, JSON shapes) made
// through the client under test, so the trust store, OpenSSL and settings are the ones that ship. The
// checks run as the cases of one synthetic scenario (harness/smoke/checks.ts) through the same session as
// `run`: same verdicts, reports, exit codes, progress lines and Ctrl-C handling.
import { defaultFamily } from '../families.ts';
import { constants } from 'node:fs';
import { access, copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { ensureRunRoot } from '../../certs/certificate-set.ts';
import { planJobs } from '../runner.ts';
import { ownerTag } from '../runtime/cleanup.ts';
import { BadInput, runSession } from '../session.ts';
import { parseClientSpec } from '../spec.ts';
import { shapeOf } from '../smoke/json-shape.ts';
import { DEFAULT_MAX_BODY, type SmokePlan, SMOKE_SCENARIO, smokeScenario } from '../smoke/checks.ts';
import { readSnapshot, SNAPSHOT_FORMAT, type SmokeSnapshot, writeSnapshot } from '../smoke/snapshot.ts';
import type { CaseResult } from '../types.ts';
import { lockedSpecs } from './client-inputs.ts';
import { collect, type CommonOptions, exitCodeAfter, sessionOptions, sortResults, withCommon, withRuntime } from './common.ts';
import { summaryLine, verdictTable } from './output.ts';
import { clientTargets, type RuntimeOptions } from './targets.ts';
import { durationArgument } from './duration.ts';

export interface SmokeOptions extends CommonOptions, RuntimeOptions {
  url: string;
  client?: string[];
  requirements?: string[];
  health?: string[];
  ca?: string;
  minDays: number;
  openapi?: string;
  snapshot?: string;
  updateSnapshot?: boolean;
  shape?: string[];
  /** Milliseconds (a duration option). */
  timeout: number;
  /** Milliseconds (a duration option). */
  maxLatency?: number;
  maxBody: number;
  http2?: boolean;
}

function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number, 0 or more.');
  return n;
}

function byteCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1024 || n > 1024 ** 3) throw new InvalidArgumentError('expected bytes, from 1024 to 1073741824.');
  return n;
}

export function registerSmoke(program: Command): void {
  withRuntime(withCommon(
    program
      .command('smoke')
      .description('check a canary through the client under test: TLS handshake, health paths, OpenAPI diff against a snapshot, JSON shapes')
      .requiredOption('--url <url>', 'the canary\'s base URL (http:// or https://)')
      .addOption(new Option('-c, --client <spec>', 'client spec (default: the latest httpx), e.g. httpx==0.28.1 (repeatable)').argParser(collect))
      .addOption(new Option('--requirements <file>', 'lock file whose pins make the client (requirements.txt, pylock.toml, uv.lock or git:REF:PATH; repeatable)').argParser(collect))
      .addOption(new Option('--health <path>', 'a health path: 2xx expected; status, latency and protocol recorded (repeatable)').argParser(collect))
      .option('--ca <file>', 'CA bundle (PEM) the client trusts for this check; default: what the client trusts by default')
      .addOption(new Option('--min-days <n>', 'fail when the certificate expires within N days').default(14).argParser(nonNegativeInt))
      .option('--openapi <path>', 'the OpenAPI 3 document\'s path, compared with the snapshot (a breaking change fails)')
      .option('--snapshot <file>', 'snapshot file (OpenAPI document and JSON shapes) to compare with')
      .option('--update-snapshot', 'write what was fetched to the snapshot file (atomically); changes are listed, none fails')
      .addOption(new Option('--shape <path>', 'a JSON endpoint whose shape (key types) is compared with the snapshot (repeatable)').argParser(collect))
      .addOption(new Option('--timeout <duration>', 'per-request connect/read timeout, e.g. 10s (at most 10m)').default(10_000, '10s').argParser(durationArgument('--timeout', { maxMs: 600_000 })))
      .addOption(new Option('--max-latency <duration>', 'fail a health path slower than this, e.g. 500ms').argParser(durationArgument('--max-latency')))
      .addOption(new Option('--max-body <bytes>', 'read at most this much of a body (health, OpenAPI, shapes); a longer one is cut, and a cut document is an error').default(DEFAULT_MAX_BODY).argParser(byteCount))
      .option('--http2', 'the client offers HTTP/2 (http2=True), as an application that enables it does; the spec needs the extra, e.g. "httpx[http2]==0.28.1"'),
  )).action(async (options: SmokeOptions) => {
    process.exitCode = await smokeCommand(options);
  });
}

/** The URL as a base (no trailing slash), or bad input. */
export function canaryUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new BadInput(`--url '${text}' is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new BadInput(`--url '${text}' must be http:// or https://`);
  if (url.search || url.hash) throw new BadInput(`--url '${text}' must be a base URL without query or fragment`);
  if (url.username || url.password) throw new BadInput('--url must not carry credentials');
  return url.href.replace(/\/+$/, '');
}

function checkPath(flag: string, path: string): string {
  if (!path.startsWith('/') || /\s/.test(path)) throw new BadInput(`${flag} '${path}' must be a path starting with /`);
  return path;
}

async function readableCa(file: string): Promise<void> {
  let text: string;
  try {
    await access(file, constants.R_OK);
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new BadInput(`cannot read --ca ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) throw new BadInput(`--ca ${file} holds no PEM certificate`);
}

/** Everything checked before a client is installed: one line and exit 2 for any of it. */
export async function validateSmoke(options: SmokeOptions): Promise<{ plan: Omit<SmokePlan, 'ca' | 'caGiven'>; snapshot: SmokeSnapshot | null }> {
  const url = canaryUrl(options.url);
  const health = (options.health ?? []).map((p) => checkPath('--health', p));
  const shapes = [...new Set((options.shape ?? []).map((p) => checkPath('--shape', p)))];
  const openapi = options.openapi ? checkPath('--openapi', options.openapi) : undefined;
  if (options.ca) {
    if (!url.startsWith('https:')) throw new BadInput('--ca needs an https:// --url');
    await readableCa(options.ca);
  }
  if ((openapi || shapes.length) && !options.snapshot) throw new BadInput('--openapi and --shape compare with a snapshot: pass --snapshot FILE (with --update-snapshot to create it)');
  if (options.updateSnapshot && !options.snapshot) throw new BadInput('--update-snapshot needs --snapshot FILE');
  if (options.snapshot && !openapi && !shapes.length) throw new BadInput('--snapshot needs --openapi PATH or --shape PATH to compare');
  if (!url.startsWith('https:') && !health.length && !openapi && !shapes.length) {
    throw new BadInput('nothing to check: an http:// --url needs --health, --openapi or --shape');
  }
  const snapshot = options.snapshot ? await readSnapshot(options.snapshot) : null;
  if (options.snapshot && options.updateSnapshot) {
    // Found now, not after the checks ran: the write is the point of the run.
    try {
      await access(dirname(resolve(options.snapshot)), constants.W_OK);
    } catch (error) {
      throw new BadInput(`cannot write snapshot ${options.snapshot}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
  if (options.snapshot && !options.updateSnapshot) {
    if (!snapshot) throw new BadInput(`snapshot ${options.snapshot} does not exist (create it with --update-snapshot)`);
    if (openapi && !snapshot.openapi) throw new BadInput(`snapshot ${options.snapshot} holds no OpenAPI document (add it with --update-snapshot)`);
    const missing = shapes.find((s) => !snapshot.shapes?.[s]);
    if (missing) throw new BadInput(`snapshot ${options.snapshot} holds no shape for ${missing} (add it with --update-snapshot)`);
  }
  return {
    plan: {
      url,
      health,
      ...(openapi ? { openapi } : {}),
      shapes,
      minDays: options.minDays,
      timeoutS: options.timeout / 1000,
      maxLatencyMs: options.maxLatency ?? null,
      maxBodyBytes: options.maxBody ?? DEFAULT_MAX_BODY,
      http2: Boolean(options.http2),
      snapshot,
      updateSnapshot: Boolean(options.updateSnapshot),
    },
    snapshot,
  };
}

export async function smokeCommand(options: SmokeOptions): Promise<number> {
  const started = performance.now();
  const { plan: base, snapshot } = await validateSmoke(options);
  const explicit = Boolean(options.client || options.requirements);
  const specs = (options.client ?? (explicit ? [] : [defaultFamily().distribution])).map(parseClientSpec);
  specs.push(...(await lockedSpecs(options.requirements ?? [], options)));
  // The CA file goes where every runtime can read it: the run root, which containers mount at the same
  // path. The folder carries this process's id, so a killed run's copy is swept by the next start.
  let caDir: string | null = null;
  try {
    let ca: string | null = null;
    if (options.ca) {
      caDir = await mkdtemp(join(await ensureRunRoot(), `input-${ownerTag()}-`));
      ca = join(caDir, 'ca.pem');
      await copyFile(options.ca, ca);
    }
    const plan: SmokePlan = { ...base, ca, ...(options.ca ? { caGiven: options.ca } : {}) };
    const scenario = smokeScenario(plan);
    const { targets, dispose } = await clientTargets(specs, explicit, options);
    const outcome = await runSession(planJobs([scenario], targets), { ...sessionOptions(options, dispose), conclude: (results) => uncheckedClients(results, plan) });
    if (options.json) process.stdout.write(`${JSON.stringify({ results: sortResults(outcome.results) }, null, 2)}\n`);
    else {
      process.stdout.write(`\n${verdictTable(outcome.results)}\n`);
      for (const line of detailLines(outcome.results)) process.stdout.write(`${line}\n`);
      process.stdout.write(`\n${summaryLine(outcome.results, performance.now() - started)}\n`);
    }
    // The reason nothing was checked, where a person or a CI log looks first (the exit is 2).
    for (const r of outcome.results.filter((x) => x.case === NOTHING_CHECKED || x.case === HTTP2_UNCHECKED)) process.stderr.write(`regress: ${r.evidence.reason}\n`);
    if (outcome.reportDir) process.stderr.write(`report: ${outcome.reportDir}/report.html\n`);
    if (plan.updateSnapshot && options.snapshot && !outcome.interrupted) {
      const written = await updateSnapshot(options.snapshot, snapshot, plan, outcome.results);
      process.stderr.write(written ? `snapshot: wrote ${options.snapshot} (${written})\n` : `snapshot: ${options.snapshot} not written: no check fetched anything to record\n`);
    }
    return exitCodeAfter(outcome);
  } finally {
    if (caDir) await rm(caDir, { recursive: true, force: true });
  }
}

/** The case a client gets when none of its checks ran: an error, so the run cannot pass unchecked. */
export const NOTHING_CHECKED = 'nothing checked';

/** The case a client gets when --http2 was asked and it could not run a check over HTTP/2. */
export const HTTP2_UNCHECKED = 'http2 not checked';

/**
 * An error result for each client that left a check it was asked for unchecked: none of its checks ran
 * (every one not-applicable: a release outside the client contract, or --http2 against an http:// URL with
 * a client that cannot speak it), or --http2 was asked and a check over HTTP/2 did not run because the
 * client cannot speak it (the TLS check then ran over HTTP/1.1, but the canary's HTTP/2 was never
 * checked). Smoke asks for these checks by name: a run that skipped them must not pass.
 */
export function uncheckedClients(results: CaseResult[], plan: Pick<SmokePlan, 'url' | 'http2'>): CaseResult[] {
  const byClient = new Map<string, CaseResult[]>();
  for (const r of results) byClient.set(r.client, [...(byClient.get(r.client) ?? []), r]);
  const added: CaseResult[] = [];
  const error = (client: string, mine: CaseResult[], name: string, reason: string): CaseResult => ({
    scenario: SMOKE_SCENARIO,
    case: name,
    client,
    installed: mine[0]!.installed,
    verdict: 'error',
    evidence: { reason, client: { steps: [], facts: {}, exitCode: null, timedOut: false }, server: {} },
    durationMs: 0,
  });
  for (const [client, mine] of byClient) {
    if (!mine.length) continue;
    if (mine.every((r) => r.verdict === 'not-applicable')) {
      const why = [...new Set(mine.map((r) => r.evidence.reason))].join('; ');
      added.push(error(client, mine, NOTHING_CHECKED, `smoke checked nothing against ${plan.url} with ${client}: every check was not-applicable (${why})`));
      continue;
    }
    const noHttp2 = plan.http2 ? mine.filter((r) => r.verdict === 'not-applicable' && /HTTP\/2/.test(r.evidence.reason)) : [];
    if (noHttp2.length) {
      const names = sortResults(noHttp2).map((r) => r.case).join(', ');
      added.push(error(client, mine, HTTP2_UNCHECKED, `--http2 was asked, but ${client} cannot speak HTTP/2, so ${names} did not run against ${plan.url} (${noHttp2[0]!.evidence.reason}): use a spec with the extra, e.g. "httpx[http2]==0.28.1"`));
    }
  }
  return added;
}

/** --http2 asked of a client that cannot speak it: one line per client, naming the checks that did not run. */
function http2Lines(results: CaseResult[]): string[] {
  const lines: string[] = [];
  const clients = [...new Set(results.map((r) => r.client))].sort();
  for (const client of clients) {
    const tls = results.find((r) => r.client === client && r.case === 'tls');
    const unusable = (tls?.evidence.details?.handshake as { http2?: { usable: boolean; why: string } } | undefined)?.http2;
    const skipped = sortResults(results.filter((r) => r.client === client && r.verdict === 'not-applicable' && /HTTP\/2/.test(r.evidence.reason)));
    if (!skipped.length && !(unusable && !unusable.usable)) continue;
    const why = unusable?.why ?? skipped[0]!.evidence.reason;
    const ran = tls ? '; the TLS check ran over HTTP/1.1' : '';
    lines.push(`  --http2: ${client} cannot speak HTTP/2 (${why})${skipped.length ? `; not run: ${skipped.map((r) => r.case).join(', ')}` : ''}${ran}`);
  }
  return lines;
}

/** What a reader of the terminal needs beyond the table: the handshake and the API changes. */
function detailLines(results: CaseResult[]): string[] {
  const lines: string[] = [...http2Lines(results)];
  for (const r of sortResults(results)) {
    const d = r.evidence.details as { handshake?: { version?: string; cipher?: { name: string }; certificate?: { subject: string; issuer: string; notAfter: string; daysLeft: number } }; changes?: { breaking?: { description: string }[]; other?: { type: string; description: string }[] }; redirects?: { chain: { url: string; status?: number; location?: string }[] } } | undefined;
    if (!d) continue;
    const h = d.handshake;
    if (h?.certificate) {
      lines.push(`  ${r.case} × ${r.client}: ${h.version ?? 'no handshake'}${h.cipher ? ` ${h.cipher.name}` : ''}; ${h.certificate.subject} by ${h.certificate.issuer}, until ${h.certificate.notAfter.slice(0, 10)} (${h.certificate.daysLeft} days)`);
    }
    if (d.redirects) lines.push(`  ${r.case} × ${r.client}: redirects ${d.redirects.chain.map((h) => `${h.url} ${h.status ?? '?'}`).join(' → ')}${d.redirects.chain.at(-1)?.location ? ` → ${d.redirects.chain.at(-1)!.location}` : ''}`);
    for (const c of d.changes?.breaking ?? []) lines.push(`  ${r.case} × ${r.client}: BREAKING ${c.description}`);
    for (const c of d.changes?.other ?? []) lines.push(`  ${r.case} × ${r.client}: ${c.type} ${c.description}`);
  }
  return lines.length ? ['', ...lines] : [];
}

/** The new snapshot: fetched parts replace old ones, parts that failed keep theirs. */
async function updateSnapshot(file: string, previous: SmokeSnapshot | null, plan: SmokePlan, results: CaseResult[]): Promise<string | null> {
  const body = (name: string): unknown => {
    const r = results.find((x) => x.case === name && x.verdict === 'fixed' && 'body' in x.evidence.client.facts);
    return r ? r.evidence.client.facts.body : undefined;
  };
  const next: SmokeSnapshot = { format: SNAPSHOT_FORMAT, ...(previous ?? {}), takenAt: new Date().toISOString(), url: plan.url };
  const wrote: string[] = [];
  if (plan.openapi) {
    const document = body(`openapi ${plan.openapi}`);
    if (document !== undefined) {
      next.openapi = { path: plan.openapi, document };
      wrote.push('openapi');
    }
  }
  for (const path of plan.shapes) {
    const value = body(`shape ${path}`);
    if (value === undefined) continue;
    next.shapes = { ...(next.shapes ?? {}), [path]: shapeOf(value) };
    wrote.push(`shape ${path}`);
  }
  if (!wrote.length) return null;
  await writeSnapshot(file, next);
  return wrote.join(', ');
}
