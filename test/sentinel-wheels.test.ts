// The sentinel wheel builder on a real wheel (httpx 0.28.1 from the package index): the rebuilt wheel's
// RECORD matches its bytes, the version is set everywhere pip and uv look, unedited files are untouched,
// an edit whose text is gone (or ambiguous) is reported as stale rather than thrown, and builds are cached.
import { execa } from 'execa';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { findPython } from '../harness/runtime/python-env.ts';
import { describeStale, SentinelWheels } from '../harness/sentinels/wheel-builder.ts';

/** Every entry of a wheel with its RECORD-style hash and size, and the RECORD text, read by Python's zipfile. */
const DUMP = `
import base64, hashlib, json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
entries = {}
for i in z.infolist():
    data = z.read(i.filename)
    entries[i.filename] = {"hash": "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode(), "size": len(data), "text": data.decode("utf-8", "replace") if i.filename.endswith((".py", "METADATA", "RECORD")) else ""}
print(json.dumps(entries))
`;
type Entries = Record<string, { hash: string; size: number; text: string }>;

let python: string;
let cacheRoot: string;
let wheels: SentinelWheels;
const dump = async (wheel: string): Promise<Entries> => JSON.parse((await execa(python, ['-c', DUMP, wheel])).stdout);

const CLOSE = {
  file: 'httpx/_client.py',
  find: '        await self._transport.__aexit__(exc_type, exc_value, traceback)\n',
  replace: '        pass  # test edit\n',
};

beforeAll(async () => {
  python = (await findPython()).path;
  cacheRoot = await mkdtemp(join(tmpdir(), 'regress-sentinel-wheels-'));
  wheels = new SentinelWheels(python, cacheRoot);
});
afterAll(async () => {
  await rm(cacheRoot, { recursive: true, force: true });
});

describe('sentinel wheel rebuild', () => {
  test('a patched wheel has the edit, the local version and a RECORD that matches every byte', async () => {
    const built = await wheels.rebuild('httpx', '0.28.1', 'sentinel.testedit', [CLOSE]);
    expect(built.kind).toBe('built');
    if (built.kind !== 'built') return;
    expect(built.created).toBe(true);
    expect(built.version).toBe('0.28.1+sentinel.testedit');
    expect(basename(built.wheel)).toBe('httpx-0.28.1+sentinel.testedit-py3-none-any.whl');
    expect(built.wheel.startsWith(join(cacheRoot, 'sentinels', 'wheels'))).toBe(true);

    const entries = await dump(built.wheel);
    const info = 'httpx-0.28.1+sentinel.testedit.dist-info/';
    expect(Object.keys(entries).filter((f) => f.includes('.dist-info/') && !f.startsWith(info))).toEqual([]);
    expect(entries[`${info}METADATA`]!.text).toMatch(/^Version: 0\.28\.1\+sentinel\.testedit$/m);
    expect(entries['httpx/_client.py']!.text).toContain('pass  # test edit');
    expect(entries['httpx/_client.py']!.text).not.toContain(CLOSE.find);

    const record = entries[`${info}RECORD`]!.text.trim().split('\n').map((l) => l.split(','));
    const listed = new Map(record.map(([file, hash, size]) => [file!, { hash: hash!, size: size! }]));
    expect([...listed.keys()].sort()).toEqual(Object.keys(entries).sort());
    for (const [file, entry] of Object.entries(entries)) {
      if (file === `${info}RECORD`) expect(listed.get(file)).toEqual({ hash: '', size: '' });
      else expect(listed.get(file), file).toEqual({ hash: entry.hash, size: String(entry.size) });
    }

    // Everything not edited is byte-identical to the release.
    const original = await dump(await wheels.original('httpx', '0.28.1'));
    for (const [file, entry] of Object.entries(original)) {
      if (file.includes('.dist-info/') || file === CLOSE.file) continue;
      expect(entries[file]?.hash, file).toBe(entry.hash);
    }
  });

  test('the same rebuild again comes from the cache', async () => {
    const first = await wheels.rebuild('httpx', '0.28.1', 'sentinel.testedit', [CLOSE]);
    const again = await new SentinelWheels(python, cacheRoot).rebuild('httpx', '0.28.1', 'sentinel.testedit', [CLOSE]);
    expect(again).toMatchObject({ kind: 'built', created: false });
    expect(again.kind === 'built' && first.kind === 'built' && again.wheel === first.wheel).toBe(true);
  });

  test('an edit whose text is not in the release is stale: reported, not thrown, nothing built', async () => {
    const result = await wheels.rebuild('httpx', '0.28.1', 'sentinel.gone', [
      CLOSE,
      { file: 'httpx/_client.py', find: 'text that httpx never had\n', replace: 'x' },
      { file: 'httpx/_no_such_module.py', find: 'a', replace: 'b' },
      // Occurs more than once: which one is meant cannot be told, so it is stale too.
      { file: 'httpx/_client.py', find: 'def __init__(', replace: 'x' },
    ]);
    expect(result.kind).toBe('stale');
    if (result.kind !== 'stale') return;
    expect(result.problems).toEqual([
      { file: 'httpx/_client.py', matches: 0, missingFile: false, find: 'text that httpx never had' },
      { file: 'httpx/_no_such_module.py', matches: 0, missingFile: true, find: 'a' },
      { file: 'httpx/_client.py', matches: expect.any(Number), missingFile: false, find: 'def __init__(' },
    ]);
    expect(result.problems[2]!.matches).toBeGreaterThan(1);
    expect(describeStale(result.problems)).toMatch(/^no longer contains the text "text that httpx never had" in httpx\/_client\.py; has no file/);
  });

  test('the unpatched rebuild differs from the release only in its version', async () => {
    const built = await wheels.rebuild('httpcore', '1.0.9', 'sentinel.unpatched', []);
    expect(built).toMatchObject({ kind: 'built', version: '1.0.9+sentinel.unpatched' });
    if (built.kind !== 'built') return;
    const rebuilt = await dump(built.wheel);
    const original = await dump(await wheels.original('httpcore', '1.0.9'));
    const code = (e: Entries) => Object.fromEntries(Object.entries(e).filter(([f]) => !f.includes('.dist-info/')).map(([f, v]) => [f, v.hash]));
    expect(code(rebuilt)).toEqual(code(original));
  });
});
