import { describe, expect, test } from 'vitest';
import { parseClientSpec, SpecError } from '../harness/spec.ts';

describe('client specs', () => {
  test('several requirements in one argument', () => {
    const spec = parseClientSpec('httpx==0.26.0  httpcore==1.0.2');
    expect(spec.label).toBe('httpx==0.26.0 httpcore==1.0.2');
    expect(spec.module).toBe('httpx');
    expect(spec.pinned).toBe(true);
  });

  test('a bare name means the latest release and is re-resolved', () => {
    expect(parseClientSpec('httpx').pinned).toBe(false);
    expect(parseClientSpec('httpx>=0.27,<0.29').pinned).toBe(false);
  });

  test('httpx2 is the fork, imported as httpx2', () => {
    expect(parseClientSpec('httpx2==2.16.2').module).toBe('httpx2');
  });

  test('a direct reference to a local build', () => {
    const spec = parseClientSpec(`httpx@file://${import.meta.filename}`);
    expect(spec.requirements[0]!.url).toMatch(/^file:\/\//);
    expect(spec.localFiles).toEqual([import.meta.filename]);
    expect(spec.pinned).toBe(true);
    expect(parseClientSpec(`httpx @ file://${import.meta.filename}`).label).toBe(spec.label);
  });

  test('a local build is labelled by its file name and installed from its real path', () => {
    const spec = parseClientSpec(`httpx@file://${import.meta.filename}`);
    expect(spec.label).toBe('httpx @ spec.test.ts');
    expect(spec.requirements[0]!.text).toBe(`httpx @ file://${import.meta.filename}`);
  });

  test.for([
    ['httpx===', /not a valid PEP 440/],
    ['httpx==0.28.1 httpx==0.27.0', /twice/],
    ['httpcore==1.0.9', /names no client under test \(expected one of aiohttp, httpx, httpx2, requests, urllib3\)/],
    // httpx2 does not depend on httpx: naming both would test httpx2 under a label naming httpx.
    ['httpx==0.28.1 httpx2', /names httpx and httpx2: a label tests one client/],
    // Two families in one label: each needs its own --client (a lock file may pin both, and gates both).
    ['requests==2.32.3 httpx==0.28.1', /names httpx and requests/],
    ['httpx@file:///no/such/httpx.whl', /no such file/],
    ['httpx@ftp://example.invalid/x.whl', /direct reference/],
    ['', /empty/],
  ] as const)('rejects %s', ([text, message]) => {
    expect(() => parseClientSpec(text)).toThrow(SpecError);
    expect(() => parseClientSpec(text)).toThrow(message);
  });
});
