/**
 * One measured run: a workload (N enablements, M nodes, phase duration D) through the baseline, then through
 * kdf-lightning, each on fresh simulated nodes.
 *
 * @module
 */
import { loadavg } from 'node:os';
import { runBaseline, type BaselineResult } from './baseline.js';
import { startSimulatedNodes, type SimulatedNodes } from './simulated-nodes.js';
import { round } from './summary.js';
import { runTemporal, type TemporalContext, type TemporalResult } from './temporal-run.js';
import { createWorkload, type WorkloadSize } from './workload.js';
import type { PollPolicy } from '../workflows/api.js';

export interface RunResult {
  config: WorkloadSize & { path: TemporalContext['path']; poll: PollPolicy };
  /** makespan(kdf-lightning) / makespan(baseline) */
  ratio: number;
  baseline: BaselineResult;
  temporal: TemporalResult;
  /** 1-minute load average when the run started and ended (other work on the machine skews the figures). */
  loadAverage: { before: number; after: number };
}

export interface RunContext extends TemporalContext {
  log: (line: string) => void;
}

export async function measureRun(size: WorkloadSize, context: RunContext): Promise<RunResult> {
  const workload = createWorkload(size);
  const before = loadavg()[0] as number;
  const baseline = await withNodes(workload, (nodes) => runBaseline(workload, nodes, context.onSpawn));
  context.log(`  baseline: ${seconds(baseline.makespanMs)} s; now kdf-lightning (${context.path} path)`);
  const temporal = await withNodes(workload, (nodes) => runTemporal(workload, nodes, context));
  context.log(`  kdf-lightning: ${seconds(temporal.makespanMs)} s`);
  return {
    config: { ...size, path: context.path, poll: workload.poll },
    ratio: round(temporal.makespanMs / baseline.makespanMs, 3),
    baseline,
    temporal,
    loadAverage: { before: round(before, 2), after: round(loadavg()[0] as number, 2) },
  };
}

const seconds = (ms: number): string => (ms / 1000).toFixed(1);

async function withNodes<T>(
  workload: Parameters<typeof startSimulatedNodes>[0],
  body: (nodes: SimulatedNodes) => Promise<T>
): Promise<T> {
  const nodes = await startSimulatedNodes(workload);
  try {
    return await body(nodes);
  } finally {
    await nodes.stop();
  }
}
