// Known failures match by label or by the release really installed, and never accept what they do not name.
import { expect, test } from 'vitest';
import { knownEntryFor, splitKnown } from '../harness/known-failures.ts';
import type { CaseResult, Verdict } from '../harness/types.ts';

const result = (client: string, httpx: string, verdict: Verdict, scenario = 's', c = 'c'): CaseResult => ({
  scenario,
  case: c,
  client,
  installed: { python: '3.11', packages: { httpx }, module: 'httpx' },
  verdict,
  evidence: { reason: verdict, client: { steps: [], facts: {}, exitCode: 0, timedOut: false }, server: {} },
  durationMs: 0,
});

test('a pinned entry covers the unpinned spec while it resolves to that release, and no other', () => {
  const known = [{ scenario: 's', client: 'httpx==0.28.1', why: 'open upstream' }];
  expect(knownEntryFor(result('httpx', '0.28.1', 'reproduced'), known)).toBeDefined();
  expect(knownEntryFor(result('httpx==0.28.1', '0.28.1', 'reproduced'), known)).toBeDefined();
  expect(knownEntryFor(result('httpx', '0.29.0', 'reproduced'), known)).toBeUndefined();
  expect(knownEntryFor(result('httpx', '0.28.1', 'reproduced', 'other'), known)).toBeUndefined();
});

test('split: accepted, new, and entries that no longer reproduce', () => {
  const known = [
    { scenario: 's', why: 'accepted' },
    { scenario: 'gone', why: 'fixed meanwhile' },
  ];
  const split = splitKnown(
    [result('httpx', '0.28.1', 'reproduced'), result('httpx', '0.28.1', 'reproduced', 'new'), result('httpx', '0.28.1', 'fixed', 'gone')],
    known,
  );
  expect(split.accepted.map((a) => a.result.scenario)).toEqual(['s']);
  expect(split.fresh.map((r) => r.scenario)).toEqual(['new']);
  expect(split.stale.map((k) => k.scenario)).toEqual(['gone']);
});
