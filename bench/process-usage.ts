/**
 * CPU time and memory of another process, from Linux's /proc (the benchmark runs on Linux).
 *
 * @module
 */
import { readFileSync } from 'node:fs';

/** USER_HZ: /proc reports CPU time in clock ticks of 1/100 s on Linux. */
const TICKS_PER_SECOND = 100;

export interface ProcessUsage {
  /** User + system CPU time since the process started. */
  cpuSeconds: number;
  /** VmHWM: the highest resident set size so far. */
  peakRssMb: number;
}

export function readProcessUsage(pid: number): ProcessUsage {
  // the command name (field 2) is in parentheses and may contain spaces: count fields after the last ')'
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const peakKilobytes = /^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1];
  if (peakKilobytes === undefined) throw new Error(`/proc/${pid}/status has no VmHWM`);
  return { cpuSeconds: ticks / TICKS_PER_SECOND, peakRssMb: Number(peakKilobytes) / 1024 };
}
