/**
 * One measured run: a workload (N enablements, M nodes, phase duration D) through the baseline, then through
 * kdf-lightning, then (with `--push`) through kdf-lightning following the nodes' event streams, each side on fresh
 * simulated nodes.
 *
 * @module
 */
import { loadavg } from 'node:os';
import { runBaseline, type BaselineResult } from './baseline.js';
import { startSimulatedNodes, type SimulatedNodes, type SimulatedNodesOptions } from './simulated-nodes.js';
import { round } from './summary.js';
import { runTemporal, type TemporalContext, type TemporalResult } from './temporal-run.js';
import { createWorkload, type Workload, type WorkloadSize } from './workload.js';
import type { PollPolicy } from '../workflows/api.js';

export interface RunResult {
  config: WorkloadSize & { path: TemporalContext['path']; poll: PollPolicy; push: boolean };
  /** makespan(kdf-lightning) / makespan(baseline) */
  ratio: number;
  baseline: BaselineResult;
  temporal: TemporalResult;
  /** With `--push`: side (c), kdf-lightning with the nodes' event stream followed by the worker. */
  push?: TemporalResult;
  /** With `--push`: makespan(kdf-lightning + push) / makespan(baseline) */
  pushRatio?: number;
  /** 1-minute load average when the run started and ended (other work on the machine skews the figures). */
  loadAverage: { before: number; after: number };
}

export interface RunContext extends TemporalContext {
  /** Also run side (c). */
  push: boolean;
  log: (line: string) => void;
}

const POLLING: SimulatedNodesOptions = { eventStreaming: false };
const STREAMING: SimulatedNodesOptions = { eventStreaming: true };

export async function measureRun(size: WorkloadSize, context: RunContext): Promise<RunResult> {
  const workload = createWorkload(size);
  const before = loadavg()[0] as number;
  const baseline = await withNodes(workload, POLLING, (nodes) => runBaseline(workload, nodes, context.onSpawn));
  context.log(`  baseline: ${seconds(baseline.makespanMs)} s; now kdf-lightning (${context.path} path)`);
  const temporal = await withNodes(workload, POLLING, (nodes) => runTemporal(workload, nodes, context, false));
  context.log(`  kdf-lightning: ${seconds(temporal.makespanMs)} s`);
  let push: TemporalResult | undefined;
  if (context.push) {
    // fresh node and workflow ids: the polling side's enablements are on the server under the first ones
    const pushWorkload = createWorkload(size);
    push = await withNodes(pushWorkload, STREAMING, (nodes) => runTemporal(pushWorkload, nodes, context, true));
    context.log(`  kdf-lightning + push: ${seconds(push.makespanMs)} s`);
  }
  return {
    config: { ...size, path: context.path, poll: workload.poll, push: context.push },
    ratio: round(temporal.makespanMs / baseline.makespanMs, 3),
    baseline,
    temporal,
    ...(push && { push, pushRatio: round(push.makespanMs / baseline.makespanMs, 3) }),
    loadAverage: { before: round(before, 2), after: round(loadavg()[0] as number, 2) },
  };
}

const seconds = (ms: number): string => (ms / 1000).toFixed(1);

async function withNodes<T>(
  workload: Workload,
  options: SimulatedNodesOptions,
  body: (nodes: SimulatedNodes) => Promise<T>
): Promise<T> {
  const nodes = await startSimulatedNodes(workload, options);
  try {
    return await body(nodes);
  } finally {
    await nodes.stop();
  }
}
