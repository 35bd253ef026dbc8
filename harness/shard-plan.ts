// The planned jobs of `run` and `tables` as shard units (harness/shard.ts), and a command's own shard of them.
import type { Job } from './runner.ts';
import { caseCostMs, planHash, type ShardInfo, shardOf, type ShardSpec, type ShardUnit } from './shard.ts';

/** The environment a job runs in: its client target (a spec, with the scenario's extras when it has some). */
function environmentOf(job: Job): string {
  return job.client.key ?? job.client.label;
}

/** `run`: every (scenario × case × client) job is a unit of its own. */
export function jobUnits(jobs: Job[]): ShardUnit<Job>[] {
  return jobs.map((job) => ({
    key: `${job.scenario.meta.id}\u0000${job.case.name}\u0000${job.client.label}`,
    cost: caseCostMs(job.case),
    environment: environmentOf(job),
    items: [job],
  }));
}

/**
 * `tables`: a cell (one scenario's cases on one release of one family: a row of its table) is a unit,
 * so a row is measured in one place, in one run of its environment.
 */
export function cellUnits(jobs: Job[]): ShardUnit<Job>[] {
  const cells = new Map<string, ShardUnit<Job>>();
  for (const job of jobs) {
    const key = `${job.scenario.meta.id}\u0000${job.client.family ?? ''}\u0000${job.client.label}`;
    const cell = cells.get(key) ?? { key, cost: 0, environment: environmentOf(job), items: [] };
    cell.cost += caseCostMs(job.case);
    cell.items.push(job);
    cells.set(key, cell);
  }
  return [...cells.values()];
}

/**
 * A shard's jobs, in the plan's own order (longest wait first, as planJobs made it), and what its report
 * says of it.
 */
export function shardJobs(
  kind: ShardInfo['kind'],
  jobs: Job[],
  units: ShardUnit<Job>[],
  spec: ShardSpec,
  extra: unknown = null,
): { jobs: Job[]; info: ShardInfo } {
  const mine = new Set(shardOf(units, spec).flatMap((u) => u.items));
  const kept = jobs.filter((j) => mine.has(j));
  return {
    jobs: kept,
    info: { kind, index: spec.index, count: spec.count, plan: planHash(kind, units, extra), planJobs: jobs.length, jobs: kept.length },
  };
}
