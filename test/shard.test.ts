// The shard split (harness/shard.ts), merge's refusals (harness/merge.ts), the worker cap and the worker waves.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { joinShards, readShardReports, type ShardReport } from '../harness/merge.ts';
import type { RunReport } from '../harness/report/formats.ts';
import { clientGate, workerWaves, type Job } from '../harness/runner.ts';
import { maxWorkers, WORKER_BUDGET_BYTES } from '../harness/runtime/client-worker.ts';
import { BadInput } from '../harness/session.ts';
import { ENVIRONMENT_COST_MS, parseShard, planHash, type ShardInfo, shardLoads, shardOf, splitIntoShards, type ShardUnit } from '../harness/shard.ts';
import type { CaseResult } from '../harness/types.ts';

test('K/N is parsed; anything else names the problem', () => {
  expect(parseShard('2/3')).toEqual({ index: 2, count: 3 });
  expect(parseShard(' 1 / 1 ')).toEqual({ index: 1, count: 1 });
  expect(parseShard('4/3')).toEqual({ problem: "'4/3': K must be from 1 to 3" });
  expect(parseShard('0/3')).toEqual({ problem: "'0/3': K must be from 1 to 3" });
  expect(parseShard('1/0')).toEqual({ problem: "'1/0': N must be at least 1" });
  for (const bad of ['', '3', '1/2/3', '-1/3', '1.5/3', 'a/b']) expect(parseShard(bad)).toHaveProperty('problem');
});

/** A full-table-like plan: 20 releases of 3 families × 9 scenarios of 1-7 cases with waits of 0-6 s. */
function tablePlan(): ShardUnit<string>[] {
  const units: ShardUnit<string>[] = [];
  for (const family of ['httpx', 'requests', 'urllib3']) {
    for (let release = 0; release < 20; release++) {
      for (let scenario = 0; scenario < 9; scenario++) {
        const cases = 1 + ((scenario * 5 + release) % 7);
        const env = `${family}==1.${release}`;
        units.push({ key: `s${scenario}\0${family}\0${env}`, cost: cases * 1200 + (scenario % 3) * 3000, environment: env, items: Array.from({ length: cases }, (_, i) => `${scenario}/${i}/${env}`) });
      }
    }
  }
  return units;
}

test('every unit lands in exactly one shard, and the split does not depend on the order units come in', () => {
  const units = tablePlan();
  for (const count of [1, 2, 3, 7, 64]) {
    const shards = splitIntoShards(units, count);
    expect(shards).toHaveLength(count);
    const keys = shards.flat().map((u) => u.key);
    expect(keys.length).toBe(units.length);
    expect(new Set(keys)).toEqual(new Set(units.map((u) => u.key)));
    const shuffled = [...units].sort((a, b) => (a.items[0]! < b.items[0]! ? 1 : -1)).reverse().sort(() => 0).sort((a, b) => (a.environment < b.environment ? 1 : a.environment > b.environment ? -1 : 0));
    expect(splitIntoShards(shuffled, count).map((s) => s.map((u) => u.key))).toEqual(shards.map((s) => s.map((u) => u.key)));
  }
  // More shards than units: the extra shards are empty, none is lost.
  expect(splitIntoShards(units.slice(0, 2), 3).map((s) => s.length).sort()).toEqual([0, 1, 1]);
});

test('shards are balanced by estimated cost and keep a release in few shards', () => {
  const units = tablePlan();
  const envs = new Set(units.map((u) => u.environment)).size;
  for (const count of [2, 3, 5, 8, 20]) {
    const shards = splitIntoShards(units, count);
    const loads = shardLoads(shards);
    const largestUnit = Math.max(...units.map((u) => u.cost));
    // Within one unit and one environment of each other (the greedy's bound), a few percent of a shard.
    expect(Math.max(...loads) - Math.min(...loads)).toBeLessThanOrEqual(largestUnit + ENVIRONMENT_COST_MS);
    expect(Math.max(...loads) / Math.min(...loads)).toBeLessThan(1.1);
    // Environments installed over all shards: near one shard per release, not every release on every shard.
    const installs = shards.reduce((n, s) => n + new Set(s.map((u) => u.environment)).size, 0);
    expect(installs).toBeLessThan(envs + 2 * count);
  }
});

test('the plan hash is the plan: the same for any order, another for another unit, cost or extra', () => {
  const units = tablePlan();
  const hash = planHash('tables', units, { python: '3.12.1' });
  expect(planHash('tables', [...units].reverse(), { python: '3.12.1' })).toBe(hash);
  expect(planHash('tables', units.slice(1), { python: '3.12.1' })).not.toBe(hash);
  expect(planHash('tables', units.map((u, i) => (i === 0 ? { ...u, cost: u.cost + 1 } : u)), { python: '3.12.1' })).not.toBe(hash);
  expect(planHash('tables', units, { python: '3.12.2' })).not.toBe(hash);
  expect(planHash('run', units, { python: '3.12.1' })).not.toBe(hash);
  expect(shardOf(units, { index: 2, count: 3 })).toEqual(splitIntoShards(units, 3)[1]);
});

const result = (scenario: string, c: string, client: string): CaseResult => ({
  scenario,
  case: c,
  client,
  installed: null,
  verdict: 'fixed',
  evidence: { reason: '', client: { steps: [], facts: {}, exitCode: 0, timedOut: false }, server: {} },
  durationMs: 1,
});

function shardReport(index: number, count: number, plan = 'p1', kind: ShardInfo['kind'] = 'run', results = [result('s', `c${index}`, 'x==1')]): ShardReport {
  const shard: ShardInfo = { kind, index, count, plan, planJobs: count, jobs: results.length };
  const report: RunReport = {
    run: { id: `r${index}`, startedAt: `2026-12-06T10:0${index}:00.000Z`, finishedAt: `2026-12-06T10:0${index}:30.000Z`, interrupted: false, planned: 1, command: 'regress run', host: { platform: 'linux-x64', node: 'v24' }, shard },
    results,
  };
  return { source: `shard-${index}`, report: report as ShardReport['report'] };
}

const refusal = (shards: ShardReport[]): string => {
  try {
    joinShards(shards, 'regress merge', 'm');
  } catch (error) {
    expect(error).toBeInstanceOf(BadInput);
    expect((error as Error).message).not.toContain('\n');
    return (error as Error).message;
  }
  throw new Error('merged');
};

test('merge joins every shard of one plan in shard order, and refuses anything else in one line', () => {
  const joined = joinShards([shardReport(3, 3), shardReport(1, 3), shardReport(2, 3)], 'regress merge a b c', 'm');
  expect(joined.report.results.map((r) => r.case)).toEqual(['c1', 'c2', 'c3']);
  expect(joined.report.run).toMatchObject({ id: 'm', planned: 3, startedAt: '2026-12-06T10:01:00.000Z', finishedAt: '2026-12-06T10:03:30.000Z', interrupted: false, merged: { kind: 'run', plan: 'p1', count: 3, shards: ['r1', 'r2', 'r3'] } });

  expect(refusal([shardReport(1, 2), shardReport(2, 2, 'p2')])).toBe('shard-1 and shard-2 are shards of different plans (p1, p2): every shard must plan the same run (the same options, scenarios, releases and Python)');
  expect(refusal([shardReport(1, 2), shardReport(3, 3)])).toBe('shard-1 is shard 1/2 and shard-3 shard 3/3: one plan split two ways');
  expect(refusal([shardReport(1, 2), shardReport(2, 2, 'p1', 'tables')])).toBe('shard-1 is a shard of `run` and shard-2 of `tables`: merge joins the shards of one command');
  expect(refusal([shardReport(1, 3), shardReport(3, 3)])).toBe('shard 2/3 missing (given: 1/3, 3/3)');
  expect(refusal([shardReport(2, 4)])).toBe('shards 1/4, 3/4, 4/4 missing (given: 2/4)');
  expect(refusal([shardReport(1, 2), shardReport(2, 2), shardReport(2, 2)])).toBe('shard 2/2 given twice: shard-2 and shard-2');
  expect(refusal([shardReport(1, 2, 'p1', 'run', [result('s', 'c', 'x==1')]), shardReport(2, 2, 'p1', 'run', [result('s', 'c', 'x==1')])])).toBe("shard-1 and shard-2 both hold s/c × x==1: not one plan's split");
  expect(refusal([])).toBe('merge needs the shard reports to join');
  // An interrupted shard makes an interrupted join (run's exit code then says 130 unless something reproduced).
  const cut = shardReport(2, 2);
  cut.report.run.interrupted = true;
  expect(joinShards([shardReport(1, 2), cut], 'regress merge', 'm').report.run.interrupted).toBe(true);
});

test('merge finds shard reports in report folders, results.json files and folders of artifacts, and refuses a report that is not a shard', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'regress-merge-find-'));
  try {
    const write = async (path: string, report: unknown): Promise<void> => {
      await mkdir(join(dir, path), { recursive: true });
      await writeFile(join(dir, path, 'results.json'), JSON.stringify(report));
    };
    await write('artifacts/shard-1/reports/a-shard-1-of-2', shardReport(1, 2).report);
    await write('artifacts/shard-2/reports/b-shard-2-of-2', shardReport(2, 2).report);
    await write('artifacts/other/reports/c', { run: { id: 'c' }, results: [] });
    const found = await readShardReports([join(dir, 'artifacts')]);
    expect(found.map((s) => s.report.run.shard.index)).toEqual([1, 2]);
    const named = await readShardReports([join(dir, 'artifacts/shard-2/reports/b-shard-2-of-2'), join(dir, 'artifacts/shard-1/reports/a-shard-1-of-2/results.json')]);
    expect(named.map((s) => s.report.run.shard.index)).toEqual([2, 1]);
    await expect(readShardReports([join(dir, 'artifacts/other/reports/c')])).rejects.toThrow(/not a shard's report/);
    await expect(readShardReports([join(dir, 'artifacts/other')])).rejects.toThrow(/no shard report in it/);
    await expect(readShardReports([join(dir, 'nothing-here')])).rejects.toThrow(/no such file or folder/);
    await writeFile(join(dir, 'broken.json'), '{"run":');
    await expect(readShardReports([join(dir, 'broken.json')])).rejects.toThrow(/not a readable report/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the worker cap: REGRESS_MAX_WORKERS, else a quarter of the memory at the per-worker budget, at least 4', () => {
  const gib = 1024 ** 3;
  expect(maxWorkers(24 * gib, undefined)).toBe(Math.floor((24 * gib) / 4 / WORKER_BUDGET_BYTES));
  expect(maxWorkers(24 * gib, undefined)).toBe(96);
  expect(maxWorkers(7 * gib, undefined)).toBe(28);
  expect(maxWorkers(512 * 1024 ** 2, undefined)).toBe(4);
  expect(maxWorkers(24 * gib, '6')).toBe(6);
  for (const ignored of ['', '0', '-2', '1.5', 'many']) expect(maxWorkers(24 * gib, ignored)).toBe(96);
});

test('jobs run in waves of clients that fit the cap, each wave in the plan order', () => {
  const job = (client: string, c: string, family = 'httpx'): Job => ({ client: { label: client, family }, case: { name: c }, scenario: { meta: { id: 's' } } }) as unknown as Job;
  const plan = [job('a', '1'), job('b', '1'), job('c', '1'), job('n', '1', 'undici'), job('a', '2'), job('b', '2'), job('c', '2'), job('d', '1'), job('m', '1', 'axios')];
  expect(workerWaves(plan, 4)).toBe(plan);
  // npm clients (a Node process per case, no resident worker) go with the first wave, in plan order.
  const waves = workerWaves(plan, 2).map((j) => `${j.client.label}${j.case.name}`);
  expect(waves).toEqual(['a1', 'b1', 'n1', 'a2', 'b2', 'm1', 'c1', 'c2', 'd1']);
});

test('the client gate lets at most `cap` clients run at once, the next in plan order when one has run its last case', async () => {
  const job = (client: string, family = 'requests'): Job => ({ client: { label: client, family }, case: { name: 'c' }, scenario: { meta: { id: 's' } } }) as unknown as Job;
  const gate = clientGate([job('a'), job('a'), job('b'), job('c'), job('d'), job('npm', 'got')], 2);
  // A client without a resident worker is never held back.
  await expect(gate.enter('npm')).resolves.toBe(false);
  const order: string[] = [];
  const enter = (key: string) => gate.enter(key).then((waited) => order.push(`${key}${waited ? ' (waited)' : ''}`));
  await Promise.all([enter('a'), enter('b')]);
  const later = [enter('c'), enter('d'), enter('a')];
  await new Promise((r) => setTimeout(r, 10));
  // a is in (its second case starts at once); c and d wait for a room.
  expect(order).toEqual(['a', 'b', 'a']);
  gate.leave('b');
  await new Promise((r) => setTimeout(r, 10));
  expect(order).toEqual(['a', 'b', 'a', 'c (waited)']);
  gate.leave('a');
  await new Promise((r) => setTimeout(r, 10));
  expect(order).toEqual(['a', 'b', 'a', 'c (waited)']);
  gate.leave('a');
  await Promise.all(later);
  expect(order).toEqual(['a', 'b', 'a', 'c (waited)', 'd (waited)']);
});
