// CPU seconds and memory of this process and everything it started, read from /proc (Linux), for the bench.
//
// CPU: this process's own time plus its reaped children's (cutime/cstime), plus, for each child still
// alive (a warm client worker), its own time and that of the children it reaped (the forked cases). A
// worker outlives a measured phase, so a phase's CPU is the difference of two readings.
// Memory: the sum over the tree, sampled every 100 ms: RSS (pages shared by forked cases counted once per
// process, as `ps` would) and PSS (shared pages divided among their sharers: what the tree really costs).
import { readdirSync, readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

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

/** A process's children, from /proc/<pid>/task/<tid>/children (no walk over every process of the machine). */
function childrenOf(pid: number): number[] {
  const found: number[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return found;
  }
  for (const tid of tasks) {
    try {
      for (const child of readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ')) if (child.trim()) found.push(Number(child));
    } catch {
      // gone
    }
  }
  return found;
}

/** Every process below `root` (not itself). */
function descendants(root: number, exclude: number[] = []): Stat[] {
  const found: Stat[] = [];
  const queue = [root];
  while (queue.length) {
    for (const pid of childrenOf(queue.shift()!)) {
      if (exclude.includes(pid)) continue;
      const stat = readStat(pid);
      if (!stat) continue;
      found.push(stat);
      queue.push(pid);
    }
  }
  return found;
}

/** CPU seconds used so far by this process and its tree (see the header for what is counted). */
export function treeCpuSeconds(exclude: number[] = []): number {
  const self = readStat('self');
  if (!self) return Number.NaN;
  const children = childrenOf(process.pid).filter((pid) => !exclude.includes(pid)).flatMap((pid) => readStat(pid) ?? []);
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
 * Samples the tree's memory every intervalMs until stopped; resolves the peaks. The sampler is a process of
 * its own (left out of the figures): walking /proc here would stall the fixtures' event loop, which the
 * cases time, and add its CPU to the tree's.
 */
export function sampleMemory(intervalMs = 100): { pid: number; stop(): Promise<MemoryPeak> } {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), 'sample', String(process.pid), String(intervalMs)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (text: string) => {
    output += text;
  });
  const ended = new Promise<MemoryPeak>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', () => {
      try {
        resolve(JSON.parse(output) as MemoryPeak);
      } catch {
        reject(new Error(`the memory sampler said: ${output.slice(0, 200)}`));
      }
    });
  });
  return {
    pid: child.pid!,
    stop: () => {
      child.stdin!.end();
      return ended;
    },
  };
}

// The sampler process: `node process-tree.ts sample <root pid> <interval>`; prints the peaks when its stdin closes.
if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === 'sample') {
  const root = Number(process.argv[3]);
  const sampler = sampleHere(root, Number(process.argv[4]));
  process.stdin.resume();
  process.stdin.on('end', () => {
    process.stdout.write(JSON.stringify(sampler.stop()));
    process.exit(0);
  });
}

function sampleHere(root: number, intervalMs: number): { stop(): MemoryPeak } {
  const peak: MemoryPeak = { rssMb: 0, pssMb: 0, processes: 0 };
  const pageKb = 4;
  const sample = (): void => {
    const top = readStat(root);
    const tree = [...(top ? [top] : []), ...descendants(root, [process.pid])];
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
