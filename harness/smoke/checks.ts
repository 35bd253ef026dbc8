// `regress smoke` as the runner sees it: one synthetic scenario, `smoke`, whose cases are the checks of one
// canary URL (tls, health PATH, openapi PATH, shape PATH). Each case runs harness/python/smoke_client.py
// through the client under test (any runtime: venv, lock file, an image's own Python) and is judged here,
// so smoke gets run's verdicts, reports, exit codes, progress and Ctrl-C handling unchanged. There is no
// fixture: the server is the user's canary, so the evidence is what the client and its handshake saw.
import { join } from 'node:path';
import { COMPAT_DIR } from '../runtime/client-process.ts';
import type { CaseDefinition, CaseFixture, ClientStep, JudgeInput, Judgement, Scenario } from '../types.ts';
import { type Shape, compareShapes, isBreakingShapeChange, shapeOf } from './json-shape.ts';
import { compareOpenApi, notOpenApi3 } from './openapi-diff.ts';
import type { SmokeSnapshot } from './snapshot.ts';
import { judgeTls } from './tls-check.ts';
import { probeTls } from './tls-probe.ts';

/** What a check reads of a body by default (--max-body): an OpenAPI document of a large service fits. */
export const DEFAULT_MAX_BODY = 16 * 1024 * 1024;

export const SMOKE_SCENARIO = 'smoke';
export const SMOKE_PROGRAM = join(COMPAT_DIR, 'smoke_client.py');

export interface SmokePlan {
  /** Base URL, no trailing slash. */
  url: string;
  health: string[];
  openapi?: string;
  shapes: string[];
  /** The CA bundle file the client reads (a copy the container runtime can see), or null: its default. */
  ca: string | null;
  /** The --ca path as given, for the report. */
  caGiven?: string;
  minDays: number;
  /** Per request (connect, read), seconds. */
  timeoutS: number;
  /** The client offers HTTP/2 (http2=True; the release needs its http2 extra). */
  http2: boolean;
  /** Health responses slower than this fail (ms); null: latency is recorded only. */
  maxLatencyMs: number | null;
  /** What a check reads of a body at most (bytes); the rest is not read and the result says so. */
  maxBodyBytes: number;
  snapshot: SmokeSnapshot | null;
  /** Compare, then take the fetched documents as the new snapshot (changes listed, none fails). */
  updateSnapshot: boolean;
}

export function smokeScenario(plan: SmokePlan): Scenario {
  const cases: CaseDefinition[] = [];
  if (plan.url.startsWith('https:')) cases.push(check(plan, 'tls', 'tls', '', (input) => judgeTls(input, plan.minDays)));
  for (const path of plan.health) cases.push(check(plan, `health ${path}`, 'health', path, (input) => judgeHealth(input, plan)));
  if (plan.openapi) cases.push(check(plan, `openapi ${plan.openapi}`, 'document', plan.openapi, (input) => judgeOpenApi(input, plan)));
  for (const path of plan.shapes) cases.push(check(plan, `shape ${path}`, 'document', path, (input) => judgeShape(input, plan, path)));
  return {
    meta: {
      id: SMOKE_SCENARIO,
      title: `canary smoke of ${plan.url}`,
      upstream: { issue: 'regress issue 11', fix: [] },
      seedClaim: { firstFixed: 'n/a', source: 'canary validation' },
      measured: { lastBroken: 'n/a', firstFixed: 'n/a' },
      failureSignature: 'a canary check fails through the client under test',
    },
    cases,
    dir: COMPAT_DIR,
    // The smoke client speaks httpx's API (httpx and httpx2); other families have no smoke program yet.
    programs: { httpx: SMOKE_PROGRAM },
  };
}

function check(plan: SmokePlan, name: string, kind: 'tls' | 'health' | 'document', path: string, judge: (input: JudgeInput) => Judgement): CaseDefinition {
  return {
    name,
    summary: kind === 'tls' ? `TLS handshake with ${plan.url}` : `GET ${plan.url}${path}`,
    // The TLS check makes up to four connections (verified, unverified and with the leaf's issuer when that
    // failed, the client's own); a health check may follow up to 10 redirects to name a loop.
    timeLimitMs: Math.round(plan.timeoutS * 1000 * (kind === 'tls' ? 4 : 2) + 20_000),
    unavoidableWaitMs: 0,
    setup: async () => {
      const input: Record<string, unknown> = { check: kind, url: plan.url, path, ca: plan.ca, caGiven: plan.caGiven ?? null, timeoutS: plan.timeoutS, http2: plan.http2, maxBodyBytes: plan.maxBodyBytes };
      if (kind === 'tls') {
        // What the server offers, seen from here: the judge names protocol-version and incomplete-chain
        // from it; the issuer the leaf names goes to the client program, which tries its trust with it.
        const probe = await probeTls(plan.url, plan.timeoutS);
        input.probe = { ...probe, ...(probe.missingIssuer ? { missingIssuer: { ...probe.missingIssuer, der: undefined } } : {}) };
        if (probe.missingIssuer?.der) input.missingIssuerDer = probe.missingIssuer.der;
      }
      return noFixture(input);
    },
    judge,
  };
}

/** The canary is the user's server: nothing to start, nothing observed on the server side. */
function noFixture(input: Record<string, unknown>): CaseFixture {
  const t0 = performance.now();
  return {
    input,
    observe: () => ({}),
    admit: () => undefined,
    marks: () => ({}),
    settled: async () => undefined,
    now: () => Math.round(performance.now() - t0),
    close: async () => undefined,
  };
}

/** Why a request step failed, as a cause: the layer it failed at, from the client's exception kind. */
function requestCause(step: ClientStep): string {
  switch (step.error?.kind) {
    case 'certificate':
    case 'tls':
      return 'tls';
    case 'connect':
      return 'unreachable';
    case 'connect-timeout':
    case 'read-timeout':
    case 'write-timeout':
    case 'pool-timeout':
    case 'timeout':
      return 'timeout';
    default:
      return 'request-failed';
  }
}

function failedRequest(step: ClientStep, what: string): Judgement {
  const cause = requestCause(step);
  return { verdict: 'reproduced', reason: `${cause}: ${what} failed: ${step.error?.type}: ${step.error?.message}`, details: { cause } };
}

function judgeHealth(input: JudgeInput, plan: SmokePlan): Judgement {
  const step = input.client.steps.find((s) => s.name === 'health');
  if (!step) return { verdict: 'error', reason: 'the health check recorded no request' };
  const what = `GET ${input.client.facts.url}`;
  if (!step.ok) return failedRequest(step, what);
  const cut = typeof step.cutAt === 'number' ? `; body cut at ${step.cutAt} bytes (--max-body)` : '';
  const response = { status: step.status, latencyMs: step.latencyMs, httpVersion: step.httpVersion, bytesRead: step.bytes, ...(cut ? { cutAt: step.cutAt } : {}) };
  const seen = `${step.status} in ${step.latencyMs} ms over ${step.httpVersion}${cut}`;
  const redirects = input.client.facts.redirects as { chain: { url: string; status?: number; location?: string }[]; loop: boolean; limitReached: boolean } | undefined;
  if (redirects?.loop || redirects?.limitReached) {
    const hops = redirects.chain.map((h) => `${h.url} (${h.status ?? '?'}) → ${h.location ?? ''}`);
    const how = redirects.loop ? 'a redirect loop' : `more than ${redirects.chain.length - 1} redirects`;
    return { verdict: 'reproduced', reason: `redirect-loop: ${what} answered ${step.status}: ${how}: ${hops.join('; ')}`, details: { cause: 'redirect-loop', response, redirects } };
  }
  if (typeof step.status !== 'number' || step.status < 200 || step.status > 299) {
    const to = redirects ? `, redirecting ${redirects.chain.map((h) => h.location ?? `${h.status ?? h.url}`).join(' → ')}` : '';
    return { verdict: 'reproduced', reason: `health-status: ${what} answered ${seen}${to} (2xx expected)`, details: { cause: 'health-status', response, ...(redirects ? { redirects } : {}) } };
  }
  if (plan.maxLatencyMs !== null && Number(step.latencyMs) > plan.maxLatencyMs) {
    return { verdict: 'reproduced', reason: `slow: ${what} answered ${seen}, slower than --max-latency ${plan.maxLatencyMs} ms`, details: { cause: 'slow', response } };
  }
  return { verdict: 'fixed', reason: `${what} answered ${seen}`, details: { response } };
}

/** The JSON body a document check fetched, or the judgement that it has none. */
function fetchedJson(input: JudgeInput, label: string): { body: unknown } | { judgement: Judgement } {
  const step = input.client.steps.find((s) => s.name === 'document');
  if (!step) return { judgement: { verdict: 'error', reason: `the ${label} check recorded no request` } };
  const what = `GET ${input.client.facts.url}`;
  if (!step.ok) return { judgement: failedRequest(step, what) };
  if (typeof step.status !== 'number' || step.status < 200 || step.status > 299) {
    const cause = `${label}-unavailable`;
    return { judgement: { verdict: 'reproduced', reason: `${cause}: ${what} answered ${step.status} (2xx expected)`, details: { cause } } };
  }
  const facts = input.client.facts;
  if (typeof step.cutAt === 'number') {
    // Too big to read says nothing about the client or about the API: an error naming the size.
    return { judgement: { verdict: 'error', reason: `${what}: the document is larger than --max-body ${step.cutAt} bytes (cut at ${step.cutAt} bytes, not compared); raise --max-body to compare it`, details: { cutAt: step.cutAt } } };
  }
  if (facts.bodyProblem || !('body' in facts)) {
    const cause = `${label}-not-json`;
    return { judgement: { verdict: 'reproduced', reason: `${cause}: ${what}: ${String(facts.bodyProblem ?? 'no body')}`, details: { cause } } };
  }
  return { body: facts.body };
}

const listed = (items: string[], max = 5): string => (items.length > max ? `${items.slice(0, max).join('; ')}; … (${items.length - max} more)` : items.join('; '));

function judgeOpenApi(input: JudgeInput, plan: SmokePlan): Judgement {
  const fetched = fetchedJson(input, 'openapi');
  if ('judgement' in fetched) return fetched.judgement;
  const invalid = notOpenApi3(fetched.body);
  if (invalid) return { verdict: 'reproduced', reason: `openapi-invalid: ${invalid}`, details: { cause: 'openapi-invalid' } };
  const before = plan.snapshot?.openapi?.document;
  if (before === undefined) {
    // Only reachable with --update-snapshot (the command refuses a missing entry otherwise).
    return { verdict: 'fixed', reason: 'OpenAPI document fetched; no previous snapshot to compare with (the snapshot is written)', details: { changes: { breaking: [], other: [] } } };
  }
  let changes;
  try {
    changes = compareOpenApi(before, fetched.body);
  } catch (error) {
    return { verdict: 'error', reason: `api-smart-diff could not compare the documents: ${(error as Error).message}` };
  }
  const breaking = changes.breaking.map((c) => c.description);
  const other = changes.other.map((c) => `${c.type}: ${c.description}`);
  if (plan.updateSnapshot) {
    return {
      verdict: 'fixed',
      reason: `snapshot updated; against the previous one: ${breaking.length} breaking, ${other.length} other change(s)${breaking.length ? ` (${listed(breaking)})` : ''}`,
      details: { changes },
    };
  }
  if (breaking.length) {
    return {
      verdict: 'reproduced',
      reason: `openapi-breaking: ${breaking.length} breaking change(s): ${listed(breaking)}${other.length ? `; also ${other.length} non-breaking` : ''}`,
      details: { cause: 'openapi-breaking', changes },
    };
  }
  return {
    verdict: 'fixed',
    reason: other.length ? `no breaking change; ${other.length} other change(s): ${listed(other)}` : 'the document matches the snapshot',
    details: { changes },
  };
}

function judgeShape(input: JudgeInput, plan: SmokePlan, path: string): Judgement {
  const fetched = fetchedJson(input, 'shape');
  if ('judgement' in fetched) return fetched.judgement;
  const shape: Shape = shapeOf(fetched.body);
  const before = plan.snapshot?.shapes?.[path];
  if (before === undefined) {
    return { verdict: 'fixed', reason: `shape of ${path} recorded; no previous snapshot to compare with (the snapshot is written)`, details: { shape, changes: [] } };
  }
  const changes = compareShapes(before, shape);
  const breaking = changes.filter(isBreakingShapeChange).map((c) => `${c.at} ${c.change}${c.after ? ` (${c.before} → ${c.after})` : ` (was ${c.before})`}`);
  const added = changes.filter((c) => !isBreakingShapeChange(c)).map((c) => `${c.at} added (${c.after})`);
  if (plan.updateSnapshot) {
    return { verdict: 'fixed', reason: `snapshot updated; against the previous one: ${breaking.length} removed or changed, ${added.length} added`, details: { shape, changes } };
  }
  if (breaking.length) {
    return { verdict: 'reproduced', reason: `shape-changed: ${listed(breaking)}${added.length ? `; added: ${listed(added)}` : ''}`, details: { cause: 'shape-changed', shape, changes } };
  }
  return { verdict: 'fixed', reason: added.length ? `shape kept; added: ${listed(added)}` : 'shape matches the snapshot', details: { shape, changes } };
}
