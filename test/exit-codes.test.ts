// The exit code is what a CI gate reads: a reproduction must win over everything else.
import { describe, expect, test } from 'vitest';
import { exitCodeAfter, exitCodeFor } from '../harness/cli/common.ts';
import type { CaseResult, Verdict } from '../harness/types.ts';

const result = (verdict: Verdict): CaseResult => ({
  scenario: 's',
  case: 'c',
  client: 'httpx',
  installed: null,
  verdict,
  evidence: { reason: verdict, client: { steps: [], facts: {}, exitCode: 0, timedOut: false }, server: {} },
  durationMs: 0,
});

describe('exit codes', () => {
  test.for([
    [['fixed', 'not-applicable'], 0],
    [['fixed', 'reproduced'], 1],
    [['error', 'reproduced', 'fixed'], 1],
    [['reproduced', 'error'], 1],
    [['error', 'fixed'], 2],
    [['not-applicable', 'error'], 2],
  ] as [Verdict[], number][])('%j exits %i', ([verdicts, code]) => {
    expect(exitCodeFor(verdicts.map(result))).toBe(code);
  });

  test('an interrupted run still exits 1 when something reproduced, else 130', () => {
    expect(exitCodeAfter({ results: [result('reproduced'), result('error')], interrupted: true })).toBe(1);
    expect(exitCodeAfter({ results: [result('error')], interrupted: true })).toBe(130);
    expect(exitCodeAfter({ results: [], interrupted: true })).toBe(130);
  });
});
