/**
 * CPU time and memory of another process, from Linux's /proc (the benchmark runs on Linux).
 *
 * @module
 */
import { readdirSync, readFileSync } from 'node:fs';

/** USER_HZ: /proc reports CPU time in clock ticks of 1/100 s on Linux. */
const TICKS_PER_SECOND = 100;

export interface ProcessUsage {
  /** User + system CPU time since the process started. */
  cpuSeconds: number;
  /** VmHWM: the highest resident set size so far. */
  peakRssMb: number;
  /** VmRSS: the resident set size now. */
  rssMb: number;
}

export function readProcessUsage(pid: number): ProcessUsage {
  const stat = readStat(pid);
  if (stat === undefined) throw new Error(`no process ${pid}`);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const megabytes = (field: string): number => {
    const kilobytes = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1];
    if (kilobytes === undefined) throw new Error(`/proc/${pid}/status has no ${field}`);
    return Number(kilobytes) / 1024;
  };
  return { cpuSeconds: stat.ownTicks / TICKS_PER_SECOND, peakRssMb: megabytes('VmHWM'), rssMb: megabytes('VmRSS') };
}

/**
 * CPU time of a process and all its descendants, those that have exited and been waited for included (PostgreSQL:
 * the postmaster, its background processes and one backend per connection, which may come and go during a run).
 */
export function readProcessTreeCpuSeconds(rootPid: number): number {
  const stats = new Map<number, Stat>();
  for (const entry of readdirSync('/proc')) {
    const stat = /^\d+$/.test(entry) ? readStat(Number(entry)) : undefined;
    if (stat) stats.set(Number(entry), stat);
  }
  let ticks = 0;
  const tree = [rootPid];
  for (let pid = tree.pop(); pid !== undefined; pid = tree.pop()) {
    const stat = stats.get(pid);
    if (stat === undefined) continue;
    ticks += stat.ownTicks + stat.waitedForChildrenTicks;
    for (const [child, { parentPid }] of stats) if (parentPid === pid) tree.push(child);
  }
  return ticks / TICKS_PER_SECOND;
}

interface Stat {
  parentPid: number;
  /** utime + stime */
  ownTicks: number;
  /** cutime + cstime: children that have exited and been waited for */
  waitedForChildrenTicks: number;
}

/** `undefined` when the process is gone (it may exit between listing /proc and reading it). */
function readStat(pid: number): Stat | undefined {
  let stat;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // the command name (field 2) is in parentheses and may contain spaces: count fields after the last ')'
  const fields = stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number);
  const field = (index: number): number => fields[index] ?? 0;
  return {
    parentPid: field(1),
    ownTicks: field(11) + field(12),
    waitedForChildrenTicks: field(13) + field(14),
  };
}
