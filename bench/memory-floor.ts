/**
 * The memory floor (`--floor`): the RSS of a worker process while it holds N trivial workflows in flight, each cached
 * and at a running activity (memory-floor-worker.mjs), tuned as the kdf-lightning worker is. An enablement in flight
 * at long phases is that, plus its own code and data; so a design that keeps every enablement in flight cached, with
 * an activity following its task, needs at least about this much worker memory on this SDK. Below it lies only a
 * cache smaller than the enablements in flight (bench/README.md: what that costs).
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { exited, logOutput, printed, spawnNode, terminate, type OnSpawn } from './child-process.js';
import { FLOOR_WORKFLOWS_PATH } from './floor.js';
import type { floorHeldWorkflow } from './floor-workflow.js';
import { readProcessUsage } from './process-usage.js';
import { round } from './summary.js';
import { BENCH_WORKER_TUNING } from './worker-tuning.js';

/** After the worker polls and before the starts: its idle RSS is read then. */
const SETTLE_MS = 1_000;
/** The held activity's own bound (floor-workflow.ts: a start-to-close of 5 minutes). */
const ALL_HELD_TIMEOUT_MS = 5 * 60_000;

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
  /** Its RSS while all N workflows are held, each cached and at its activity: the memory floor at N in flight. */
  heldRssMb: number;
  /** (held − idle) / N: what one workflow in flight, cached and at its activity, costs the SDK. */
  perWorkflowKb: number;
  /** Workflows that did not complete once released. */
  failed: number;
}

/** Throws when the worker cannot hold all N (a start refused, the worker gone): then there is no floor to report. */
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
    },
    // a line on its standard input releases the held workflows
    stdio: ['pipe', 'pipe', 'pipe'],
    onSpawn: context.onSpawn,
  });
  const logFile = path.join(context.workDir, `${taskQueue}.log`);
  logOutput(child, logFile);
  const who = `the memory floor worker (see ${logFile})`;
  const pid = child.pid as number;
  const handles: WorkflowHandle<typeof floorHeldWorkflow>[] = [];
  try {
    await printed(child, 'worker running', who);
    await sleep(SETTLE_MS);
    const idleRssMb = readProcessUsage(pid).rssMb;
    const allHeld = printed(child, 'all held', who, ALL_HELD_TIMEOUT_MS);
    // awaited once every start is answered; a refused start throws first
    allHeld.catch(() => undefined);
    const started = await Promise.allSettled(
      Array.from({ length: workflows }, (_, index) =>
        context.client.workflow.start<typeof floorHeldWorkflow>('floorHeldWorkflow', {
          taskQueue,
          workflowId: `${taskQueue}-${index}`,
          workflowExecutionTimeout: '10 minutes',
        })
      )
    );
    for (const start of started) if (start.status === 'fulfilled') handles.push(start.value);
    const refused = started.find((start) => start.status === 'rejected');
    if (refused) throw new Error(`a memory floor workflow could not start: ${String(refused.reason)}`);
    await allHeld;
    const heldRssMb = readProcessUsage(pid).rssMb;
    // each one was still at its activity when the RSS was read (the server's view, after the reading)
    const descriptions = await Promise.all(handles.map((handle) => handle.describe()));
    const notHeld = descriptions.filter(({ raw }) => raw.pendingActivities?.length !== 1).length;
    if (notHeld > 0) throw new Error(`${notHeld} memory floor workflows were not at their activity before the release`);
    child.stdin?.end('release\n');
    const gone = exited(child).then((exitCode) => {
      throw new Error(`${who} exited (${exitCode}) before its workflows ended`);
    });
    const ended = await Promise.race([Promise.allSettled(handles.map((handle) => handle.result())), gone]);
    return {
      workflows,
      idleRssMb: round(idleRssMb, 1),
      heldRssMb: round(heldRssMb, 1),
      perWorkflowKb: round(((heldRssMb - idleRssMb) * 1024) / workflows, 1),
      failed: ended.filter(({ status }) => status === 'rejected').length,
    };
  } catch (error) {
    // none of them is left to wait for its timeout
    await Promise.allSettled(handles.map((handle) => handle.terminate('the memory floor failed')));
    throw error;
  } finally {
    await terminate(child);
  }
}
