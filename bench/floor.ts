/**
 * `--floor`: what the Temporal server itself allows. N trivial workflows (floor-workflow.ts: one no-op activity
 * each) started all at once against the benchmark's server, through a worker in this process tuned like the
 * kdf-lightning worker. An enablement workflow cannot cost the server less than that (a start, two workflow tasks,
 * an activity, a completion), so the floor's makespan over the baseline's is the smallest makespan ratio any design
 * with one workflow per enablement can reach on this server. Then the same N as children of one parent that starts
 * them with the fleet's bound on unanswered starts (`floorFleet`): roughly what a fleet of N costs there, enablement
 * work aside. And the start floor: how soon the server and this worker get N trivial workflows, started at once, to
 * their first activity (`floorHeldWorkflow`).
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Context } from '@temporalio/activity';
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
import { MAX_PENDING_STARTS } from '../workflows/api.js';
import type { FloorActivities, floorFleet, floorHeldWorkflow, floorWorkflow } from './floor-workflow.js';
import type { MemoryFloor } from './memory-floor.js';
import { readProcessTreeCpuSeconds, readProcessUsage } from './process-usage.js';
import { percentile, round } from './summary.js';
import { BENCH_WORKER_TUNING } from './worker-tuning.js';

export const FLOOR_WORKFLOWS_PATH = fileURLToPath(new URL('./floor-workflow.ts', import.meta.url));
/** A part that has not ended by then has failed (a stuck part would otherwise hold the benchmark). */
const PART_TIMEOUT = '10 minutes';

/**
 * The floor's activities. `held` notes when each workflow got to it and returns once as many have as were started
 * (`expect`, told after the starts), or when cancelled.
 */
function floorActivities() {
  const startedAt = new Map<string, number>();
  let expected = Infinity;
  let release: () => void = () => undefined;
  const allStarted = new Promise<void>((resolve) => (release = resolve));
  const check = () => {
    if (startedAt.size >= expected) release();
  };
  const activities: FloorActivities = {
    noop: async () => undefined,
    held: async () => {
      const context = Context.current();
      startedAt.set(context.info.workflowExecution?.workflowId ?? context.info.activityId, Date.now());
      check();
      await Promise.race([allStarted, context.cancelled]);
    },
  };
  const expect = (started: number) => {
    expected = started;
    check();
  };
  return { byName: activities, startedAt, expect };
}

export interface FloorContext {
  client: Client;
  temporalAddress: string;
  /** The dev server the benchmark started itself; absent with `--temporal-address`. */
  devServerPid: number | undefined;
  /** PostgreSQL's postmaster, when the benchmark started a cluster. */
  databasePid: number | undefined;
}

/** One timed part of the floor: N floor workflows started one way, from the first start to the last result. */
export interface FloorPart {
  makespanMs: number;
  throughputPerSecond: number;
  failed: number;
  /** The dev server's CPU time during the part, when the benchmark started it. */
  devServerCpuSeconds: number | undefined;
  /** With the cluster: PostgreSQL's CPU time during the part. */
  databaseCpuSeconds: number | undefined;
  /** This process's CPU time during the part: the in-process worker and the client. */
  processCpuSeconds: number;
}

export interface FloorResult extends FloorPart {
  workflows: number;
  /** makespan(floor) / makespan(baseline of the main run). */
  ratio: number;
  /** makespan(kdf-lightning of the main run) / makespan(floor): how far above the server's floor it runs. */
  costRatio: number;
  /**
   * The same N workflows started as children of one parent (floor-workflow.ts `floorFleet`), at most as many starts
   * in flight as the fleet allows: what the fleet path costs the server before any enablement work.
   */
  fleet: FloorPart & {
    /** makespan(fleet floor) / makespan(floor): what starting them through a parent costs over the floor. */
    ratio: number;
  };
  /**
   * N workflows started at once whose one activity returns only once every started one has reached its own: from the
   * first start to the median and to the last activity start. How soon trivial workflows get to the activity where
   * an enablement sends its init; a reference for the sides' init instants, not a strict bound.
   */
  starts: FloorPart & { p50StartMs: number; startSpreadMs: number };
  /** The RSS of a worker process while it holds the N workflows cached, each at a running activity (memory-floor.ts). */
  memory: MemoryFloor;
}

/**
 * Measures the floor three ways on one worker: N floor workflows started at once by the client, N started as
 * children of one parent, and N held at their activity until all have started.
 *
 * @param main the makespans of the main run's baseline and kdf-lightning sides, which the ratios compare with */
export async function measureFloor(
  workflows: number,
  main: { baselineMakespanMs: number; temporalMakespanMs: number },
  context: FloorContext
): Promise<Omit<FloorResult, 'memory'>> {
  installRuntime();
  const runId = `f${randomBytes(3).toString('hex')}`;
  const taskQueue = `kdf-bench-floor-${runId}`;
  const connection = await NativeConnection.connect(nativeConnectionOptions(context.temporalAddress));
  const activities = floorActivities();
  try {
    const worker = await Worker.create({
      connection,
      namespace: context.client.options.namespace,
      taskQueue,
      workflowsPath: FLOOR_WORKFLOWS_PATH,
      // shared workflow modules, as the kdf-lightning bundle has them (worker/create-worker.ts workflowBundleOptions)
      bundlerOptions: { preloadModules: [FLOOR_WORKFLOWS_PATH] },
      activities: activities.byName,
      // the kdf-lightning worker's tuning, and at least one slot per workflow of the run
      maxCachedWorkflows: Math.max(workflows + 1, Number(BENCH_WORKER_TUNING.KDF_MAX_CACHED_WORKFLOWS)),
      maxConcurrentActivityTaskExecutions: Math.max(
        workflows,
        Number(BENCH_WORKER_TUNING.KDF_MAX_CONCURRENT_ACTIVITIES)
      ),
      maxConcurrentWorkflowTaskExecutions: Number(BENCH_WORKER_TUNING.KDF_MAX_CONCURRENT_WORKFLOW_TASKS),
    });
    const execute = (workflowId: string) =>
      context.client.workflow.execute<typeof floorWorkflow>('floorWorkflow', {
        taskQueue,
        workflowId,
        workflowExecutionTimeout: PART_TIMEOUT,
      });
    return await worker.runUntil(async () => {
      await execute(`floor-${runId}-warm-up`);
      const flat = await timed(context, workflows, async () => {
        const settled = await Promise.allSettled(
          Array.from({ length: workflows }, (_, index) => execute(`floor-${runId}-${index}`))
        );
        return settled.filter(({ status }) => status === 'rejected').length;
      });
      const fleet = await timed(context, workflows, () =>
        context.client.workflow
          .execute<typeof floorFleet>('floorFleet', {
            taskQueue,
            workflowId: `floor-${runId}-fleet`,
            args: [{ idPrefix: `floor-${runId}-child`, workflows, pendingStarts: MAX_PENDING_STARTS }],
            workflowExecutionTimeout: PART_TIMEOUT,
          })
          .catch(() => workflows)
      );
      let spread = { p50StartMs: 0, startSpreadMs: 0 };
      const starts = await timed(context, workflows, async () => {
        const from = Date.now();
        const started = await Promise.allSettled(
          Array.from({ length: workflows }, (_, index) =>
            context.client.workflow.start<typeof floorHeldWorkflow>('floorHeldWorkflow', {
              taskQueue,
              workflowId: `floor-${runId}-held-${index}`,
              workflowExecutionTimeout: PART_TIMEOUT,
            })
          )
        );
        const handles = started.flatMap((start) => (start.status === 'fulfilled' ? [start.value] : []));
        activities.expect(handles.length);
        const ended = await Promise.allSettled(handles.map((handle) => handle.result()));
        const reached = [...activities.startedAt.values()].sort((a, b) => a - b);
        spread = { p50StartMs: percentile(reached, 0.5) - from, startSpreadMs: (reached.at(-1) ?? Number.NaN) - from };
        return workflows - ended.filter(({ status }) => status === 'fulfilled').length;
      });
      return {
        workflows,
        ...flat,
        starts: { ...starts, ...spread },
        ratio: round(flat.makespanMs / main.baselineMakespanMs, 3),
        costRatio: round(main.temporalMakespanMs / flat.makespanMs, 3),
        fleet: { ...fleet, ratio: round(fleet.makespanMs / flat.makespanMs, 3) },
      };
    });
  } finally {
    await connection.close();
  }
}

/** Runs `part` (which resolves with how many workflows failed) and measures it. */
async function timed(context: FloorContext, workflows: number, part: () => Promise<number>): Promise<FloorPart> {
  const devServerCpu = () =>
    context.devServerPid === undefined ? 0 : readProcessUsage(context.devServerPid).cpuSeconds;
  const databaseCpu = () => (context.databasePid === undefined ? 0 : readProcessTreeCpuSeconds(context.databasePid));
  const devServerBefore = devServerCpu();
  const databaseBefore = databaseCpu();
  const ownBefore = process.cpuUsage();
  const startedAt = Date.now();
  const failed = await part();
  const makespanMs = Date.now() - startedAt;
  const ownCpu = process.cpuUsage(ownBefore);
  return {
    makespanMs,
    throughputPerSecond: round((workflows / makespanMs) * 1000, 1),
    failed,
    devServerCpuSeconds: context.devServerPid === undefined ? undefined : round(devServerCpu() - devServerBefore, 2),
    databaseCpuSeconds: context.databasePid === undefined ? undefined : round(databaseCpu() - databaseBefore, 2),
    processCpuSeconds: round((ownCpu.user + ownCpu.system) / 1e6, 2),
  };
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
