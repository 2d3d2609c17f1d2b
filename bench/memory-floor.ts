/**
 * The memory floor (`--floor`): the peak RSS of a worker process that holds N trivial workflows in flight, each
 * cached and at a running activity (memory-floor-worker.mjs), tuned as the kdf-lightning worker is. An enablement
 * in flight at long phases is exactly that, plus its own code and data; so no design that keeps every enablement in
 * flight cached, with an activity following its task, can run a worker below this figure on this SDK. Below it lies
 * only a cache smaller than the enablements in flight (bench/README.md: what that costs).
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { printed, spawnNode, terminate, type OnSpawn } from './child-process.js';
import { FLOOR_WORKFLOWS_PATH } from './floor.js';
import type { floorHeldWorkflow } from './floor-workflow.js';
import { readProcessUsage } from './process-usage.js';
import { round } from './summary.js';
import { BENCH_WORKER_TUNING } from './worker-tuning.js';

/** How long every workflow stays held once all are (the peak is VmHWM, read after it). */
const HOLD_MS = 2_000;
/** After the worker polls and before the starts: its idle RSS is read then. */
const SETTLE_MS = 1_000;

export interface MemoryFloorContext {
  client: Client;
  temporalAddress: string;
  workDir: string;
  onSpawn: OnSpawn | undefined;
}

export interface MemoryFloor {
  workflows: number;
  /** The worker's RSS once it polls, before any workflow. */
  idleRssMb: number;
  /** Its VmHWM after every workflow was held: the memory floor at N in flight. */
  peakRssMb: number;
  /** (peak − idle) / N: what one workflow in flight, cached and at its activity, costs the SDK. */
  perWorkflowKb: number;
  failed: number;
}

export async function measureMemoryFloor(workflows: number, context: MemoryFloorContext): Promise<MemoryFloor> {
  const bundle = path.join(context.workDir, 'memory-floor-bundle.js');
  const { code } = await bundleWorkflowCode({
    workflowsPath: FLOOR_WORKFLOWS_PATH,
    preloadModules: [FLOOR_WORKFLOWS_PATH],
    logger: new DefaultLogger('WARN'),
  });
  writeFileSync(bundle, code);
  const taskQueue = `kdf-bench-memory-floor-${randomBytes(3).toString('hex')}`;
  const child = spawnNode([path.join('bench', 'memory-floor-worker.mjs')], {
    env: {
      ...BENCH_WORKER_TUNING,
      TEMPORAL_ADDRESS: context.temporalAddress,
      FLOOR_NAMESPACE: context.client.options.namespace,
      FLOOR_TASK_QUEUE: taskQueue,
      FLOOR_WORKFLOW_BUNDLE: bundle,
      FLOOR_WORKFLOWS: String(workflows),
      FLOOR_HOLD_MS: String(HOLD_MS),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    onSpawn: context.onSpawn,
  });
  const logFile = path.join(context.workDir, `${taskQueue}.log`);
  const log = createWriteStream(logFile);
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  try {
    await printed(child, 'worker running', `the memory floor worker (see ${logFile})`);
    await sleep(SETTLE_MS);
    const pid = child.pid as number;
    const idleRssMb = readProcessUsage(pid).rssMb;
    const started = await Promise.allSettled(
      Array.from({ length: workflows }, (_, index) =>
        context.client.workflow.start<typeof floorHeldWorkflow>('floorHeldWorkflow', {
          taskQueue,
          workflowId: `${taskQueue}-${index}`,
          workflowExecutionTimeout: '10 minutes',
        })
      )
    );
    const handles = started.flatMap((start) => (start.status === 'fulfilled' ? [start.value] : []));
    // with a start refused, the others would wait for it until their timeout: stopping the worker fails them
    if (handles.length < workflows) await terminate(child);
    const ended = await Promise.allSettled(handles.map((handle) => handle.result()));
    const peakRssMb = readProcessUsage(pid).peakRssMb;
    return {
      workflows,
      idleRssMb: round(idleRssMb, 1),
      peakRssMb: round(peakRssMb, 1),
      perWorkflowKb: round(((peakRssMb - idleRssMb) * 1024) / workflows, 1),
      failed: workflows - ended.filter(({ status }) => status === 'fulfilled').length,
    };
  } finally {
    await terminate(child);
  }
}
