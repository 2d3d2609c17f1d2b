/**
 * `--floor`: what the Temporal server itself allows. N trivial workflows (floor-workflow.ts: one no-op activity
 * each) started all at once against the benchmark's server, through a worker in this process tuned like the
 * kdf-lightning worker. An enablement workflow cannot cost the server less than that (a start, two workflow tasks,
 * an activity, a completion), so the floor's makespan over the baseline's is the smallest makespan ratio any design
 * with one workflow per enablement can reach on this server.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { IllegalStateError } from '@temporalio/common';
import {
  DefaultLogger,
  makeTelemetryFilterString,
  NativeConnection,
  Runtime,
  Worker,
  type NativeConnectionOptions,
} from '@temporalio/worker';
import { resolveConnectConfig } from '../client/index.js';
import type { FloorActivities, floorWorkflow } from './floor-workflow.js';
import { readProcessTreeCpuSeconds, readProcessUsage } from './process-usage.js';
import { round } from './summary.js';
import { BENCH_WORKER_TUNING } from './worker-tuning.js';

const WORKFLOWS_PATH = fileURLToPath(new URL('./floor-workflow.ts', import.meta.url));
const activities: FloorActivities = { noop: async () => undefined };

export interface FloorContext {
  client: Client;
  temporalAddress: string;
  /** The dev server the benchmark started itself; absent with `--temporal-address`. */
  devServerPid: number | undefined;
  /** PostgreSQL's postmaster, when the benchmark started a cluster. */
  databasePid: number | undefined;
}

export interface FloorResult {
  workflows: number;
  /** From the first start to the last result (the worker already running and warmed up by one workflow). */
  makespanMs: number;
  throughputPerSecond: number;
  failed: number;
  /** The dev server's CPU time during the timed part, when the benchmark started it. */
  devServerCpuSeconds: number | undefined;
  /** With the cluster: PostgreSQL's CPU time during the timed part. */
  databaseCpuSeconds: number | undefined;
  /** This process's CPU time during the timed part: the in-process worker and the client. */
  processCpuSeconds: number;
  /** makespan(floor) / makespan(baseline of the main run). */
  ratio: number;
  /** makespan(kdf-lightning of the main run) / makespan(floor): how far above the server's floor it runs. */
  costRatio: number;
}

/** @param main the makespans of the main run's baseline and kdf-lightning sides, which the ratios compare with */
export async function measureFloor(
  workflows: number,
  main: { baselineMakespanMs: number; temporalMakespanMs: number },
  context: FloorContext
): Promise<FloorResult> {
  installRuntime();
  const runId = `f${randomBytes(3).toString('hex')}`;
  const taskQueue = `kdf-bench-floor-${runId}`;
  const connection = await NativeConnection.connect(nativeConnectionOptions(context.temporalAddress));
  try {
    const worker = await Worker.create({
      connection,
      namespace: context.client.options.namespace,
      taskQueue,
      workflowsPath: WORKFLOWS_PATH,
      activities,
      // the kdf-lightning worker's tuning, and at least one slot per workflow of the run
      maxCachedWorkflows: Math.max(workflows, Number(BENCH_WORKER_TUNING.KDF_MAX_CACHED_WORKFLOWS)),
      maxConcurrentActivityTaskExecutions: Math.max(
        workflows,
        Number(BENCH_WORKER_TUNING.KDF_MAX_CONCURRENT_ACTIVITIES)
      ),
      maxConcurrentWorkflowTaskExecutions: Number(BENCH_WORKER_TUNING.KDF_MAX_CONCURRENT_WORKFLOW_TASKS),
    });
    const execute = (workflowId: string) =>
      context.client.workflow.execute<typeof floorWorkflow>('floorWorkflow', { taskQueue, workflowId });
    return await worker.runUntil(async () => {
      await execute(`floor-${runId}-warm-up`);
      const devServerCpu = () =>
        context.devServerPid === undefined ? 0 : readProcessUsage(context.devServerPid).cpuSeconds;
      const databaseCpu = () =>
        context.databasePid === undefined ? 0 : readProcessTreeCpuSeconds(context.databasePid);
      const devServerBefore = devServerCpu();
      const databaseBefore = databaseCpu();
      const ownBefore = process.cpuUsage();
      const startedAt = Date.now();
      const settled = await Promise.allSettled(
        Array.from({ length: workflows }, (_, index) => execute(`floor-${runId}-${index}`))
      );
      const makespanMs = Date.now() - startedAt;
      const ownCpu = process.cpuUsage(ownBefore);
      const devServerSeconds = devServerCpu() - devServerBefore;
      const databaseSeconds = databaseCpu() - databaseBefore;
      return {
        workflows,
        makespanMs,
        throughputPerSecond: round((workflows / makespanMs) * 1000, 1),
        failed: settled.filter(({ status }) => status === 'rejected').length,
        devServerCpuSeconds: context.devServerPid === undefined ? undefined : round(devServerSeconds, 2),
        databaseCpuSeconds: context.databasePid === undefined ? undefined : round(databaseSeconds, 2),
        processCpuSeconds: round((ownCpu.user + ownCpu.system) / 1e6, 2),
        ratio: round(makespanMs / main.baselineMakespanMs, 3),
        costRatio: round(main.temporalMakespanMs / makespanMs, 3),
      };
    });
  } finally {
    await connection.close();
  }
}

/** What the kdf-lightning worker process gets from its environment: the address, and TLS/API key if configured. */
function nativeConnectionOptions(address: string): NativeConnectionOptions {
  const { connection } = resolveConnectConfig({ address });
  return {
    address,
    ...(connection.tls !== undefined && { tls: connection.tls }),
    ...(typeof connection.apiKey === 'string' && { apiKey: connection.apiKey }),
    ...(connection.metadata !== undefined && { metadata: connection.metadata }),
  };
}

/**
 * The in-process worker needs the SDK's Runtime, one per process: install a quiet one unless there is one already
 * (the rest of the benchmark talks to Temporal through @temporalio/client, which needs none). No shutdown signals:
 * Ctrl-C ends the benchmark as it does without `--floor`.
 */
function installRuntime(): void {
  try {
    Runtime.install({
      logger: new DefaultLogger('WARN'),
      telemetryOptions: { logging: { forward: {}, filter: makeTelemetryFilterString({ core: 'WARN' }) } },
      shutdownSignals: [],
    });
  } catch (error) {
    if (!(error instanceof IllegalStateError)) throw error;
  }
}
