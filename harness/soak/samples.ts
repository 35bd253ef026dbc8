// What the soak driver (harness/python/soak_driver.py) writes after every iteration, and the series the
// verdict and the chart are made of.
import type { ClientError, ClientStep } from '../types.ts';

/** One sample of the client process, taken after an iteration (iteration 0: before the first). */
export interface ProcessSample {
  iteration: number;
  /** Seconds since the driver started soaking (its own monotonic clock). */
  t: number;
  fds: number;
  fdKinds: Record<string, number>;
  /** Descriptors that are TCP sockets (matched in /proc/self/net/tcp{,6}), and by state. */
  tcp: number;
  tcpStates: Record<string, number>;
  /**
   * TCP sockets the client never closed: still open before a gc.collect() between the readings, closed by
   * their finalisers in it (only garbage held them). Everything else is read after that collection.
   */
  leftToCollector: number;
  rssKb: number | null;
  /** gc-tracked objects of the client's packages, and by type. */
  objectsTotal: number;
  objects: Record<string, number>;
  /** Live connection pools; their connections and requests where the release exposes them. */
  pool: { pools: number; connections?: number; requests?: number };
}

/** One line of the samples file: an iteration's outcome and the sample taken after it. */
export interface IterationRecord {
  iteration: number;
  status: 'ok' | 'not-applicable' | 'crashed';
  reason?: string;
  error?: ClientError;
  steps: ClientStep[];
  facts: Record<string, unknown>;
  sample: ProcessSample;
}

export interface SamplesFile {
  /** The sample before the first iteration. */
  baseline: ProcessSample | null;
  iterations: IterationRecord[];
}

/** Parse the driver's JSON lines; a torn last line (the process was killed mid-write) is dropped. */
export function parseSamples(text: string): SamplesFile {
  let baseline: ProcessSample | null = null;
  const iterations: IterationRecord[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      continue;
    }
    const record = parsed as Partial<IterationRecord> & { sample?: ProcessSample };
    if (record.iteration === undefined && record.sample) baseline = record.sample;
    else if (typeof record.iteration === 'number' && record.sample) iterations.push(record as IterationRecord);
  }
  return { baseline, iterations };
}

/** The measured quantities, each a series over the iterations. */
export type MetricName = 'fds' | 'tcp' | 'unclosed' | 'serverOpen' | 'poolConnections' | 'objects' | 'rssKb';

export interface MetricInfo {
  label: string;
  /** For a chart panel's title. */
  short: string;
  unit: string;
  /**
   * Whether growth of this metric makes a leak. RSS does not: CPython keeps freed memory in its arenas and
   * the allocator's, so RSS steps up and stays up without anything leaking; it is plotted, not judged.
   */
  judged: boolean;
  /** Least growth (final level − warm-up level) that counts, besides the slope: noise cannot reach it. */
  minGrowth: number;
  /** Least slope per iteration that counts. */
  minSlope: number;
}

/**
 * One socket per 10 iterations: the brief's bar. A leak of one every 10 iterations is a staircase, whose
 * least-squares slope comes out at 0.096-0.0996 over 30-60 iterations, hence 0.08; noise of ±1 cannot pass
 * the growth minimum of 3 that goes with it.
 */
const SOCKET_SLOPE = 0.08;

export const METRICS: Record<MetricName, MetricInfo> = {
  fds: { label: 'open file descriptors', short: 'descriptors', unit: '', judged: true, minGrowth: 3, minSlope: SOCKET_SLOPE },
  tcp: { label: 'TCP sockets held by the client', short: 'TCP sockets (client)', unit: '', judged: true, minGrowth: 3, minSlope: SOCKET_SLOPE },
  // Cumulative: a client that leaves one socket per iteration to the garbage collector grows by one per
  // iteration, however promptly the collector then closes it.
  unclosed: { label: 'sockets the client never closed (closed by the garbage collector), cumulative', short: 'unclosed sockets, cumulative', unit: '', judged: true, minGrowth: 3, minSlope: SOCKET_SLOPE },
  serverOpen: { label: "client connections open at the server", short: 'open at the server', unit: '', judged: true, minGrowth: 3, minSlope: SOCKET_SLOPE },
  poolConnections: { label: "connections in the client's pools", short: 'pool connections', unit: '', judged: true, minGrowth: 3, minSlope: SOCKET_SLOPE },
  // A leaked connection is about 7 objects of these packages (connection, h11 state, stream, protocol,
  // transport: httpx 0.20.0 leaking 4 connections per iteration grew by 28); counted after gc.collect(),
  // every historic scenario on httpx 0.28.1 stayed at exactly the same count over 10-200 iterations.
  objects: { label: "live objects of the client's packages", short: 'client objects (gc)', unit: '', judged: true, minGrowth: 30, minSlope: 1 },
  rssKb: { label: 'resident memory', short: 'RSS', unit: 'kB', judged: false, minGrowth: Number.POSITIVE_INFINITY, minSlope: Number.POSITIVE_INFINITY },
};

export type Series = Partial<Record<MetricName, (number | null)[]>>;
