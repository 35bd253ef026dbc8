// CPU seconds and memory of this process and everything it started, read from /proc (Linux), for the bench.
//
// CPU: this process's own time plus its reaped children's (cutime/cstime), plus, for each child still
// alive (a warm client worker), its own time and that of the children it reaped (the forked cases). A
// worker outlives a measured phase, so a phase's CPU is the difference of two readings.
// Memory: the sum over the tree, sampled every 100 ms: RSS (pages shared by forked cases counted once per
// process, as `ps` would) and PSS (shared pages divided among their sharers: what the tree really costs).
import { readdirSync, readFileSync } from 'node:fs';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

interface Stat {
  pid: number;
  ppid: number;
  cpuTicks: number; // utime + stime
  childTicks: number; // cutime + cstime
  rssPages: number;
}

function readStat(pid: number | 'self'): Stat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return {
      pid: pid === 'self' ? process.pid : pid,
      ppid: Number(fields[1]),
      cpuTicks: Number(fields[11]) + Number(fields[12]),
      childTicks: Number(fields[13]) + Number(fields[14]),
      rssPages: Number(fields[21]),
    };
  } catch {
    return null;
  }
}

function allStats(): Stat[] {
  const stats: Stat[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readStat(Number(name));
    if (stat) stats.push(stat);
  }
  return stats;
}

/** Every process below `root` (not itself). */
function descendants(root: number, stats: Stat[]): Stat[] {
  const byParent = new Map<number, Stat[]>();
  for (const s of stats) byParent.set(s.ppid, [...(byParent.get(s.ppid) ?? []), s]);
  const found: Stat[] = [];
  const queue = [root];
  while (queue.length) {
    for (const child of byParent.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child.pid);
    }
  }
  return found;
}

/** CPU seconds used so far by this process and its tree (see the header for what is counted). */
export function treeCpuSeconds(): number {
  const self = readStat('self');
  if (!self) return Number.NaN;
  const children = allStats().filter((s) => s.ppid === process.pid);
  const live = children.reduce((sum, c) => sum + c.cpuTicks + c.childTicks, 0);
  return (self.cpuTicks + self.childTicks + live) / TICKS_PER_SECOND;
}

function pssKb(pid: number): number {
  try {
    const match = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

export interface MemoryPeak {
  rssMb: number;
  pssMb: number;
  processes: number;
}

/**
 * Samples the tree's memory every intervalMs until stopped; resolves the peaks. The sampling runs in a worker
 * thread: walking /proc on the main thread would stall the fixtures' event loop, which the cases time.
 */
export function sampleMemory(intervalMs = 100): { stop(): Promise<MemoryPeak> } {
  const thread = new Worker(new URL(import.meta.url), { workerData: { role: 'memory-sampler', intervalMs } });
  return {
    stop: () =>
      new Promise<MemoryPeak>((resolve, reject) => {
        thread.once('message', (peak: MemoryPeak) => {
          resolve(peak);
          void thread.terminate();
        });
        thread.once('error', reject);
        thread.postMessage('stop');
      }),
  };
}

if (!isMainThread && (workerData as { role?: string } | null)?.role === 'memory-sampler') {
  const sampler = sampleHere((workerData as { intervalMs: number }).intervalMs);
  parentPort!.once('message', () => parentPort!.postMessage(sampler.stop()));
}

function sampleHere(intervalMs: number): { stop(): MemoryPeak } {
  const peak: MemoryPeak = { rssMb: 0, pssMb: 0, processes: 0 };
  const pageKb = 4;
  const sample = (): void => {
    const self = readStat('self');
    const tree = [...(self ? [self] : []), ...descendants(process.pid, allStats())];
    const rss = tree.reduce((sum, s) => sum + s.rssPages * pageKb, 0) / 1024;
    const pss = tree.reduce((sum, s) => sum + pssKb(s.pid), 0) / 1024;
    peak.rssMb = Math.max(peak.rssMb, Math.round(rss));
    peak.pssMb = Math.max(peak.pssMb, Math.round(pss));
    peak.processes = Math.max(peak.processes, tree.length);
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop: () => {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}
