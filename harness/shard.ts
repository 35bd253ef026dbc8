// Splitting one planned run into N shards (`--shard K/N`), so a CI job matrix can spread the catalogue's
// thousands of cases over runners, and `regress merge` can join their reports. Every shard plans the WHOLE
// run, then keeps its own part: the split depends only on the plan (never on the machine, the clock or the
// order the index listed releases in), so N runners that plan the same run agree on every job's shard
// without talking to each other. The plan's hash goes into each shard's report: shards of different plans
// (a release published between two CI jobs, another checkout, other options) are refused by merge, not
// silently joined into a table no single run could have produced.
import { createHash } from 'node:crypto';

export interface ShardSpec {
  /** 1-based. */
  index: number;
  count: number;
}

/** What a shard's report says of itself (results.json `run.shard`). */
export interface ShardInfo extends ShardSpec {
  /** `run` or `tables`: merge joins shards of one command only. */
  kind: 'run' | 'tables';
  /** Hash of the whole plan (every shard's jobs), the same in every shard of one plan. */
  plan: string;
  /** Jobs in the whole plan, over every shard. */
  planJobs: number;
  /** Jobs in this shard. */
  jobs: number;
  /** A `tables` shard: what the joined tables are made of besides the results. */
  tables?: TablesPlan;
}

/**
 * What a tables run's tables are made of besides its results: which scenarios and families, the releases
 * (in row order) and the Python. A shard's report carries it (results.json `run.shard.tables`), so
 * `regress merge` makes the same tables from the joined results as one unsharded run makes from its own.
 */
export interface TablesPlan {
  scenarios: string[];
  families: string[];
  clients: { label: string; family: string }[];
  python: string;
  /** The Node the npm families' clients ran on (empty without npm families). */
  node?: string;
  /** Every scenario and every family: `--write` also writes the README's catalogue. */
  wholeCatalogue: boolean;
  /** `--catalogue`: the newest release of each family only; `--write` writes the catalogue, never a scenario's table. */
  catalogueOnly?: boolean;
}


/** `K/N` with 1 <= K <= N, or the reason it is not one. */
export function parseShard(text: string): ShardSpec | { problem: string } {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) return { problem: `'${text}' is not K/N (e.g. 2/3: the second of three shards)` };
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1) return { problem: `'${text}': N must be at least 1` };
  if (index < 1 || index > count) return { problem: `'${text}': K must be from 1 to ${count}` };
  return { index, count };
}

/**
 * One indivisible piece of work: a job of `run` (scenario × case × client), a cell of `tables` (a scenario's
 * cases on one release). `environment` names the client environment it needs.
 */
export interface ShardUnit<T> {
  /** Unique within the plan; the tie-break of the split, so equal costs still split the same way everywhere. */
  key: string;
  /** Estimated cost in case-milliseconds (see caseCostMs). */
  cost: number;
  environment: string;
  items: T[];
}

/**
 * A case's estimated cost: the wait it cannot avoid plus what every case costs besides (a fork, the
 * fixtures, the judge, its share of the CPU). Measured over a full `regress tables` (2194 cases on 77
 * releases, 2 cores, 48 at once, 2026-12-06): a case took a median of 1.19 s beyond its unavoidable wait.
 */
export const CASE_OVERHEAD_MS = 1200;

export function caseCostMs(c: { unavoidableWaitMs: number }): number {
  return c.unavoidableWaitMs + CASE_OVERHEAD_MS;
}

/**
 * What a shard pays for each client environment it needs, beyond its cases: the install on a fresh CI
 * runner (seconds from uv's cache, more from the index) and the warm worker's start (a Python importing
 * the client). Counted as about five cases: the split keeps a release's cells together while that costs
 * the balance less than this, so N shards do not each install every release.
 */
export const ENVIRONMENT_COST_MS = 5 * CASE_OVERHEAD_MS;

/**
 * Split units into `count` shards, deterministically (the order units come in does not matter: every
 * order below ends in the plan keys). A greedy over environments first: each environment's units (a
 * release's cells), largest first, go whole to the least loaded shard while they fit under an even share
 * of the total, so a release is installed on one runner, not on all; an environment that does not fit is
 * split over as few shards as it takes (the lightest filled up to its share with the largest units that
 * fit, then the next lightest), and what fits under no share goes unit by unit to the shard least loaded
 * after taking it, counting ENVIRONMENT_COST_MS where the shard does not hold its environment yet (ties:
 * the lower shard). Every unit lands in exactly one shard; the loads end within about one unit and one
 * environment of each other. Returns the shards in order, each unit list in plan-key order.
 */
export function splitIntoShards<T>(units: ShardUnit<T>[], count: number): ShardUnit<T>[][] {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`shard count ${count}`);
  const keys = new Set<string>();
  for (const u of units) {
    if (keys.has(u.key)) throw new Error(`two units of one plan share the key '${u.key}'`);
    keys.add(u.key);
  }
  const groups = new Map<string, { environment: string; cost: number; units: ShardUnit<T>[] }>();
  for (const u of units) {
    const group = groups.get(u.environment) ?? { environment: u.environment, cost: ENVIRONMENT_COST_MS, units: [] };
    group.cost += u.cost;
    group.units.push(u);
    groups.set(u.environment, group);
  }
  const byCost = <X extends { cost: number }>(key: (x: X) => string) => (a: X, b: X): number => b.cost - a.cost || compareKeys(key(a), key(b));
  const ordered = [...groups.values()].sort(byCost((g) => g.environment));
  const share = ordered.reduce((n, g) => n + g.cost, 0) / count;
  const shards = Array.from({ length: count }, () => ({ load: 0, environments: new Set<string>(), units: [] as ShardUnit<T>[] }));
  const lightest = (): number => shards.reduce((best, s, i) => (s.load < shards[best]!.load ? i : best), 0);
  for (const group of ordered) {
    const target = shards[lightest()]!;
    if (target.load + group.cost <= share) {
      target.load += group.cost;
      target.environments.add(group.environment);
      target.units.push(...group.units);
      continue;
    }
    // Split over as few shards as it takes: fill the lightest shard up to the share, then the next.
    let rest = [...group.units].sort(byCost((u) => u.key));
    for (let filled = 0; rest.length && filled < count; filled++) {
      const shard = shards[lightest()]!;
      let room = share - shard.load - (shard.environments.has(group.environment) ? 0 : ENVIRONMENT_COST_MS);
      const taken = rest.filter((u) => (u.cost <= room ? ((room -= u.cost), true) : false));
      if (!taken.length) break;
      shard.load = share - room;
      shard.environments.add(group.environment);
      shard.units.push(...taken);
      rest = rest.filter((u) => !taken.includes(u));
    }
    // What fits under no share (the shares are full): each unit where it costs least.
    for (const unit of rest) {
      let best = 0;
      let bestLoad = Number.POSITIVE_INFINITY;
      shards.forEach((shard, i) => {
        const load = shard.load + unit.cost + (shard.environments.has(unit.environment) ? 0 : ENVIRONMENT_COST_MS);
        if (load < bestLoad) {
          best = i;
          bestLoad = load;
        }
      });
      const chosen = shards[best]!;
      chosen.load = bestLoad;
      chosen.environments.add(unit.environment);
      chosen.units.push(unit);
    }
  }
  return shards.map((s) => s.units.sort((a, b) => compareKeys(a.key, b.key)));
}

/** The units of shard K of N. */
export function shardOf<T>(units: ShardUnit<T>[], spec: ShardSpec): ShardUnit<T>[] {
  return splitIntoShards(units, spec.count)[spec.index - 1]!;
}

/** Each shard's estimated load (cases and environments), for the bench and the tests. */
export function shardLoads<T>(shards: ShardUnit<T>[][]): number[] {
  return shards.map((units) => units.reduce((n, u) => n + u.cost, 0) + new Set(units.map((u) => u.environment)).size * ENVIRONMENT_COST_MS);
}

/**
 * The plan's identity: its kind, every unit (key and cost) and what else decides the joined report
 * (`extra`: for tables the releases, families and Python). Independent of the shard count: the count is
 * checked on its own, so merge can say which of the two differs.
 */
export function planHash(kind: ShardInfo['kind'], units: ShardUnit<unknown>[], extra: unknown = null): string {
  const identity = {
    kind,
    units: units.map((u) => [u.key, u.cost, u.items.length]).sort((a, b) => compareKeys(String(a[0]), String(b[0]))),
    extra,
  };
  return createHash('sha256').update(JSON.stringify(identity)).digest('hex').slice(0, 16);
}

/** Code-unit order: the same on every machine and locale (localeCompare is not). */
function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
