/**
 * Sides (b) and (c) of the benchmark: the same workload through kdf-lightning, a worker process of its own on fresh
 * simulated nodes; for (c) the nodes serve KDF's event stream and the worker follows it. Besides the side's figures
 * it reports where the CPU went (worker, Temporal server, with the cluster PostgreSQL, this process with the
 * simulators) and how long the histories are.
 *
 * @module
 */
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { OnSpawn } from './child-process.js';
import { historyLengthOfAllRuns, readOutcomes } from './enablement-outcomes.js';
import { readProcessTreeCpuSeconds, readProcessUsage } from './process-usage.js';
import type { SimulatedNodes } from './simulated-nodes.js';
import { round, summarize, type SideSummary } from './summary.js';
import { runWorkload, type TemporalPath } from './temporal-paths.js';
import type { WorkerBuild } from './worker-build.js';
import { startWorkerProcess } from './worker-process.js';
import { activationMs, type Workload } from './workload.js';

export interface TemporalContext {
  client: Client;
  temporalAddress: string;
  /** The dev server the benchmark started itself; absent with `--temporal-address`. */
  devServerPid: number | undefined;
  /** PostgreSQL's postmaster, when the benchmark started a cluster. */
  databasePid: number | undefined;
  worker: WorkerBuild;
  /** Where the worker's log goes. */
  workDir: string;
  path: TemporalPath;
  /** The worker's environment tuning (worker-tuning.ts, with the command line's overrides). */
  workerTuning: Record<string, string>;
  onSpawn: OnSpawn | undefined;
}

export interface TemporalResult extends SideSummary {
  /** Mean history length of the enablement workflows (all of them, read with `describe()`). */
  eventsPerEnablement: number;
  maxEventsPerEnablement: number;
  /** Mean workflow tasks completed per enablement workflow (the floor workflow takes 2). */
  workflowTasksPerEnablement: number;
  /** The fleet workflow's events (every run) divided by the enablements; 0 on the direct path. */
  fleetEventsPerEnablement: number;
  workerPeakRssMb: number;
  workerCpuSeconds: number;
  /** The dev server's CPU time during the run, when the benchmark started it. */
  devServerCpuSeconds: number | undefined;
  /** With the cluster: PostgreSQL's CPU time during the run (the postmaster and its backends). */
  databaseCpuSeconds: number | undefined;
  /** This process's CPU time during the run: the simulated nodes and the Temporal client. */
  simulatorsCpuSeconds: number;
}

/** @param eventStream the worker follows the nodes' event streams (`eventStream: true` in its nodes file) */
export async function runTemporal(
  workload: Workload,
  nodes: SimulatedNodes,
  context: TemporalContext,
  eventStream: boolean
): Promise<TemporalResult> {
  const taskQueue = `kdf-bench-${workload.runId}`;
  const worker = await startWorkerProcess({
    temporalAddress: context.temporalAddress,
    taskQueue,
    nodes: nodes.configs,
    eventStream,
    build: context.worker,
    tuning: context.workerTuning,
    logFile: path.join(context.workDir, `worker-${workload.runId}.log`),
    onSpawn: context.onSpawn,
  });
  try {
    const devServerCpu = () =>
      context.devServerPid === undefined ? 0 : readProcessUsage(context.devServerPid).cpuSeconds;
    const databaseCpu = () => (context.databasePid === undefined ? 0 : readProcessTreeCpuSeconds(context.databasePid));
    const workerBefore = worker.usage();
    const devServerBefore = devServerCpu();
    const databaseBefore = databaseCpu();
    const ownBefore = process.cpuUsage();
    const startedAt = Date.now();
    const fleetId = await Promise.race([
      runWorkload(context.client, workload, taskQueue, context.path),
      worker.crashed,
    ]);
    const finishedAt = Date.now();
    const ownCpu = process.cpuUsage(ownBefore);
    const workerAfter = worker.usage();
    const devServerSeconds = devServerCpu() - devServerBefore;
    const databaseSeconds = databaseCpu() - databaseBefore;
    const calls = nodes.calls();

    const outcomes = await readOutcomes(context.client, workload.members);
    const events = outcomes.map(({ historyLength }) => historyLength);
    const workflowTasks = outcomes.map((outcome) => outcome.workflowTasks);
    const fleetEvents = fleetId === undefined ? 0 : await historyLengthOfAllRuns(context.client, fleetId);
    const summary = summarize({
      enablements: workload.enablements,
      activationMs: activationMs(workload),
      startedAt,
      finishedAt,
      completions: outcomes.flatMap((outcome) =>
        outcome.kind === 'enabled'
          ? [{ okAt: nodes.okAt(outcome.node, outcome.taskId), detectedAt: outcome.closedAt }]
          : []
      ),
      failures: outcomes.flatMap((outcome) => (outcome.kind === 'failed' ? [outcome.message] : [])),
      calls,
    });
    return {
      ...summary,
      eventsPerEnablement: round(events.reduce((sum, n) => sum + n, 0) / events.length, 1),
      maxEventsPerEnablement: Math.max(...events),
      workflowTasksPerEnablement: round(workflowTasks.reduce((sum, n) => sum + n, 0) / workflowTasks.length, 2),
      fleetEventsPerEnablement: round(fleetEvents / workload.enablements, 1),
      workerPeakRssMb: round(workerAfter.peakRssMb, 1),
      workerCpuSeconds: round(workerAfter.cpuSeconds - workerBefore.cpuSeconds, 2),
      devServerCpuSeconds: context.devServerPid === undefined ? undefined : round(devServerSeconds, 2),
      databaseCpuSeconds: context.databasePid === undefined ? undefined : round(databaseSeconds, 2),
      simulatorsCpuSeconds: round((ownCpu.user + ownCpu.system) / 1e6, 2),
    };
  } finally {
    await worker.stop();
  }
}
