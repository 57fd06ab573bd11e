/**
 * CPU time from /proc, to show each figure's conditions: a server below ~100%
 * of its core was not the bottleneck, a client core near 100% means wrk was.
 * Linux only; elsewhere the figures are simply absent.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 2000 });
    ticksPerSecond = Number(out.stdout?.trim()) || 100;
  }
  return ticksPerSecond;
}

/** User + system CPU seconds of a process, or undefined once it is gone. */
export function processCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may itself hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicks();
  } catch {
    return undefined;
  }
}

export interface CoreTimes {
  busy: number;
  total: number;
}

/** Busy and total jiffies of one core (busy excludes idle and iowait). */
export function coreTimes(cpu: number): CoreTimes | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`cpu${cpu} `));
    if (!line) return undefined;
    const values = line.trim().split(/\s+/).slice(1, 9).map(Number);
    const total = values.reduce((a, b) => a + b, 0);
    const idle = (values[3] ?? 0) + (values[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}

/** Fraction of the time between two samples the core was busy. */
export function busyFraction(before: CoreTimes | undefined, after: CoreTimes | undefined): number | undefined {
  if (!before || !after || after.total <= before.total) return undefined;
  return (after.busy - before.busy) / (after.total - before.total);
}

/** The process and its descendants (a cluster's primary and its workers), from /proc; [] elsewhere. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
  for (const name of entries) {
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const siblings = children.get(parent) ?? [];
      siblings.push(Number(name));
      children.set(parent, siblings);
    } catch {
      // gone meanwhile
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i] as number) ?? []));
  return tree;
}

/** User + system CPU seconds of a process and all its descendants alive now, or undefined when /proc cannot tell. */
export function processTreeCpuSeconds(root: number): number | undefined {
  let total: number | undefined;
  for (const pid of processTree(root)) {
    const seconds = processCpuSeconds(pid);
    if (seconds !== undefined) total = (total ?? 0) + seconds;
  }
  return total;
}
