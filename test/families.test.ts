// Client families are data: the records load, the specs name their family, a scenario covers the families
// it has programs for, and nothing in the harness core names a client.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { contractDir, defaultFamily, families, family, familyOfNames, interpreterReason, programExtension, unsupportedReason } from '../harness/families.ts';
import { tableMarkers, TABLE_START } from '../harness/cli/tables-command.ts';
import { planJobs } from '../harness/runner.ts';
import type { ClientTarget } from '../harness/runtime/target.ts';
import { coveredFamilies, overallStatus, statusFor } from '../harness/scenario-families.ts';
import { loadScenarios } from '../harness/scenarios.ts';
import { onNode, parseClientSpec, SpecError } from '../harness/spec.ts';
import type { Scenario } from '../harness/types.ts';

const ROOT = join(import.meta.dirname, '..');

describe('family records', () => {
  test('each record loads, its contract module exists, and exactly one is the default', () => {
    const ids = families().map((f) => f.id);
    expect(ids).toEqual(expect.arrayContaining(['aiohttp', 'httpx', 'httpx2', 'requests', 'urllib3', 'node-http', 'fetch', 'undici', 'axios', 'got']));
    for (const f of families()) expect(readdirSync(contractDir(f))).toContain(`${f.contract.module}${programExtension(f)}`);
    expect(defaultFamily().id).toBe('httpx');
  });

  test('a fork runs its parent program and contract', () => {
    expect(family('httpx2').contract).toEqual({ module: 'regress_compat', program: 'httpx' });
    expect(contractDir(family('httpx2'))).toBe(contractDir(family('httpx')));
  });

  test('the contract range and the interpreter a release needs', () => {
    expect(unsupportedReason(family('requests'), '2.19.1')).toMatch(/outside the client contract \(>=2\.20\.0\)/);
    expect(unsupportedReason(family('requests'), '2.34.2')).toBeNull();
    expect(interpreterReason(family('requests'), '2.33.0', '3.9.18')).toMatch(/needs Python >=3\.10/);
    expect(interpreterReason(family('requests'), '2.33.0', '3.11.7')).toBeNull();
    expect(interpreterReason(family('requests'), '2.32.5', '3.9.18')).toBeNull();
    expect(interpreterReason(family('urllib3'), '2.7.0', '3.9.18')).toMatch(/urllib3 2\.7 declares/);
    expect(unsupportedReason(family('aiohttp'), '3.7.4')).toMatch(/outside the client contract \(>=3\.8\.0\)/);
    expect(unsupportedReason(family('aiohttp'), '3.14.5')).toBeNull();
    expect(interpreterReason(family('aiohttp'), '3.14.0', '3.9.18')).toMatch(/aiohttp 3\.14 declares Requires-Python >=3\.10/);
    expect(interpreterReason(family('aiohttp'), '3.8.1', '3.11.7')).toMatch(/needs Python <3\.11/);
    expect(interpreterReason(family('aiohttp'), '3.8.2', '3.11.7')).toBeNull();
  });

  test('an unknown family is named with the known ones', () => {
    expect(() => family('aiohttp2')).toThrow(/unknown client family 'aiohttp2' \(known: aiohttp, axios, fetch, got, httpx, httpx2, node-http, requests, undici, urllib3/);
  });
});

describe('specs name their family', () => {
  test.for([
    ['requests==2.31.0', 'requests', 'requests'],
    ['requests==2.32.3 urllib3==2.2.1', 'requests', 'requests'],
    ['urllib3==2.0.5', 'urllib3', 'urllib3'],
    ['httpx==0.28.1 httpcore==1.0.9', 'httpx', 'httpx'],
    ['httpx2', 'httpx2', 'httpx2'],
    ['aiohttp==3.14.5', 'aiohttp', 'aiohttp'],
    ['aiohttp==3.13.5 yarl==1.22.0', 'aiohttp', 'aiohttp'],
  ] as const)('%s tests %s', ([text, id, module]) => {
    const spec = parseClientSpec(text);
    expect(spec.family).toBe(id);
    expect(spec.module).toBe(module);
  });

  test.for([
    ['undici@7.27.2', 'undici', 'undici@7.27.2', undefined, true],
    ['axios@1.16.1 follow-redirects@1.15.5', 'axios', 'axios@1.16.1 follow-redirects@1.15.5', undefined, true],
    ['undici@8.4.0 node@22', 'undici', 'undici@8.4.0 node@22', '22', false],
    ['got@14.4.8 node@20.20.2', 'got', 'got@14.4.8 node@20.20.2', '20.20.2', true],
    ['node-http@20', 'node-http', 'node-http@20', '20', false],
    ['fetch@22.23.3', 'fetch', 'fetch@22.23.3', '22.23.3', true],
    ['node-http', 'node-http', 'node-http', undefined, true],
  ] as const)('npm spec %s tests %s', ([text, id, label, node, pinned]) => {
    const spec = parseClientSpec(text);
    expect([spec.family, spec.label, spec.node, spec.pinned]).toEqual([id, label, node, pinned]);
  });

  test.for([
    ['node@20', /a Node release alone is no client: fetch@N or node-http@N/],
    ['axios@1.16.0 requests==2.32.3', /mixes npm packages/],
    ['axios got', /names axios and got/],
    ['fetch@20 node@22', /write fetch@22/],
    ['axios@one', /not an npm version or range/],
    ['undici@7.27.2 follow-redirects@1.15.5', /neither undici nor one of its companions/],
  ] as const)('bad npm spec %s', ([text, message]) => {
    expect(() => parseClientSpec(text)).toThrow(SpecError);
    expect(() => parseClientSpec(text)).toThrow(message);
  });

  test('--node puts an npm client on a Node release; for node-http and fetch it is the release under test', () => {
    expect(onNode(parseClientSpec('got@14.4.8'), '20').label).toBe('got@14.4.8 node@20');
    expect(onNode(parseClientSpec('node-http'), '18').label).toBe('node-http@18');
    expect(onNode(parseClientSpec('undici@8.4.0 node@22'), '20').label).toBe('undici@8.4.0 node@22');
    expect(interpreterReason(family('undici'), '8.14.1', '20.20.2')).toMatch(/needs Node >=22\.19\.0/);
    expect(interpreterReason(family('undici'), '7.27.2', '20.20.2')).toBeNull();
    expect(unsupportedReason(family('axios'), '0.27.2')).toMatch(/outside the client contract \(>=1\.0\.0\)/);
  });

  test('a companion named beside its client is not a client of its own', () => {
    expect(familyOfNames(['requests', 'urllib3', 'idna'], 'x').id).toBe('requests');
    expect(familyOfNames(['urllib3', 'certifi'], 'x').id).toBe('urllib3');
    expect(familyOfNames(['aiohttp', 'yarl', 'multidict'], 'x').id).toBe('aiohttp');
  });
});

describe('scenarios cover families', () => {
  const target = (spec: string): ClientTarget => ({ label: spec, family: parseClientSpec(spec).family, prepare: async () => { throw new Error('not prepared'); } });

  test('the catalogue keeps its httpx programs in clients/httpx.py, run by httpx and httpx2', async () => {
    // A scenario of another family alone (urllib3-redirect-leaks) has no httpx program.
    const catalogue = (await loadScenarios()).filter((s) => s.programs.httpx !== undefined);
    expect(catalogue.length).toBeGreaterThan(0);
    for (const s of catalogue) {
      expect(Object.keys(s.programs)).toContain('httpx');
      expect(s.programs.httpx).toBe(join(s.dir, 'clients', 'httpx.py'));
      expect(coveredFamilies(s).map((f) => f.id)).toEqual(expect.arrayContaining(['httpx', 'httpx2']));
    }
  });

  test('a client gets jobs only from the scenarios its family covers', async () => {
    const catalogue = await loadScenarios();
    const httpxOnly = catalogue.filter((s) => coveredFamilies(s).every((f) => f.id === 'httpx' || f.id === 'httpx2'));
    expect(httpxOnly.length).toBeGreaterThan(0);
    expect(planJobs(httpxOnly, [target('requests==2.34.2')])).toEqual([]);
    expect(planJobs(httpxOnly, [target('httpx==0.28.1')]).length).toBe(httpxOnly.reduce((n, s) => n + s.cases.length, 0));
    // A target whose family is known only once prepared (an image's client) is planned everywhere.
    const image: ClientTarget = { label: 'image x', prepare: async () => { throw new Error('not prepared'); } };
    expect(planJobs(httpxOnly, [image]).length).toBe(httpxOnly.reduce((n, s) => n + s.cases.length, 0));
  });

  test('status per family: a record, a plain string, or historic by default', () => {
    const make = (status: Scenario['meta']['status']): Scenario =>
      ({ meta: { id: 'x', status }, programs: { httpx: '/x/clients/httpx.py', requests: '/x/clients/requests.py' } }) as unknown as Scenario;
    const mixed = make({ httpx: 'open-upstream' });
    expect(statusFor(mixed, 'httpx')).toBe('open-upstream');
    expect(statusFor(mixed, 'httpx2')).toBe('historic');
    expect(statusFor(mixed, 'requests')).toBe('historic');
    expect(overallStatus(mixed)).toBe('open-upstream');
    expect(statusFor(make('open-upstream'), 'requests')).toBe('open-upstream');
    expect(overallStatus(make(undefined))).toBe('historic');
  });

  test("the default family's program keeps the table markers from before families; others get their own", () => {
    expect(tableMarkers('httpx')[0]).toBe(TABLE_START);
    expect(tableMarkers('requests')).toEqual(['<!-- regress:versions:requests:start -->', '<!-- regress:versions:requests:end -->']);
  });
});

describe('the harness core never names a client', () => {
  // The core reads families from their records. Client names may appear in comments (why a rule exists)
  // and in the modules that are a client's own data (families/, scenarios/, the httpx-speaking smoke,
  // soak and leak-build helpers), not in code that decides anything.
  const CORE = ['harness/runner.ts', 'harness/session.ts', 'harness/spec.ts', 'harness/lock-files.ts', 'harness/cli/tables-command.ts', 'harness/cli/bisect-command.ts', 'harness/diff.ts', 'harness/report', 'harness/container/container-runtime.ts', 'harness/sentinels/lines.ts', 'harness/sentinels/run-sentinels.ts', 'harness/scenarios.ts', 'harness/families.ts', 'harness/scenario-families.ts'];
  const files = CORE.flatMap((p) => (statSync(join(ROOT, p)).isDirectory() ? readdirSync(join(ROOT, p)).map((f) => join(p, f)) : [p]));

  test.for(files)('%s', (file) => {
    const code = readFileSync(join(ROOT, file), 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .split('\n')
      .map((line) => line.replace(/\/\/.*$/, ''))
      .join('\n');
    // A client's name as a string literal is a decision about that client.
    expect(code).not.toMatch(/['"`](httpx2?|httpcore2?|requests|urllib3|aiohttp|undici|axios|got|follow-redirects|node-http|fetch)['"`]/);
  });
});
