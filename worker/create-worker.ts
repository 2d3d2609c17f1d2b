// Builds the kdf-lightning Worker: activities wired to the node registry, workflow code from a path or a bundle.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from '@temporalio/worker';
import type { NativeConnection, WorkerOptions } from '@temporalio/worker';
import type { DataConverter } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import {
  createActivities,
  createFleetActivities,
  createPreflightActivities,
  HEARTBEAT_THROTTLE_MS,
  type KdfEventStreams,
} from '../activities/index.js';
import type { NodeRegistry } from '../activities/index.js';
import type { WorkerTuning } from './config.js';

export interface KdfWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  nodes: NodeRegistry;
  /** Lets fleet activities follow enablements that a fleet did not start itself, and read their last runs. */
  client: Client;
  /** Event streams of the nodes that opt in (`eventStream: true`); the caller closes them after the run. */
  eventStreams?: KdfEventStreams;
  /** Path of a prebuilt workflow bundle (`npm run build`); when absent the workflows are bundled at start. */
  workflowBundlePath?: string;
  /** Overrides of the tuning defaults below. */
  tuning?: Partial<WorkerTuning>;
  identity?: string;
  /** Payload codecs (encryption) shared with the clients; payloads are plain JSON without. */
  dataConverter?: DataConverter;
}

/** Workflow code for development: `workflows/index.ts` next to this file (or the compiled `.js` under dist/). */
function defaultWorkflowsPath(): string {
  const ts = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));
  return existsSync(ts) ? ts : fileURLToPath(new URL('../workflows/index.js', import.meta.url));
}

/**
 * How every kdf-lightning workflow bundle is built (at worker start and by `npm run build`): the workflow modules are
 * preloaded (the SDK's `preloadModules`), that is evaluated once per V8 context and shared by all the workflows the
 * worker runs, instead of evaluated again for each workflow, which cost memory for every cached workflow and CPU for
 * every start and replay. Sharing is safe because these modules keep no state at module level: ESLint's
 * `no-restricted-syntax` in workflows/ refuses what could hold it (a top-level `let`, an object made with `new`, an
 * empty array or object, static class state), and the SDK deep-freezes what the modules export, so that a write to an
 * exported object fails the workflow task instead of leaking into another workflow.
 */
export function workflowBundleOptions(): { workflowsPath: string; preloadModules: string[] } {
  const workflowsPath = defaultWorkflowsPath();
  return { workflowsPath, preloadModules: [workflowsPath] };
}

/** Creates (does not run) the worker; `worker.run()` resolves after a graceful shutdown. */
export async function createKdfWorker(options: KdfWorkerOptions): Promise<Worker> {
  const tuning = options.tuning ?? {};
  const workerOptions: WorkerOptions = {
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities: {
      ...createActivities({
        nodes: options.nodes,
        ...(options.eventStreams && { eventStreams: options.eventStreams }),
      }),
      ...createFleetActivities({ client: options.client }),
      ...createPreflightActivities({ nodes: options.nodes, client: options.client }),
    },
    maxCachedWorkflows: tuning.maxCachedWorkflows ?? 1_000,
    maxHeartbeatThrottleInterval: HEARTBEAT_THROTTLE_MS,
    maxConcurrentActivityTaskExecutions: tuning.maxConcurrentActivityTaskExecutions ?? 200,
    maxConcurrentWorkflowTaskExecutions: tuning.maxConcurrentWorkflowTaskExecutions ?? 40,
    // activities see the cancellation after this; a retry on another worker picks the task up (heartbeat timeout)
    shutdownGraceTime: tuning.shutdownGraceTimeMs ?? 10_000,
    shutdownForceTime: (tuning.shutdownGraceTimeMs ?? 10_000) + 10_000,
  };
  if (options.identity !== undefined) workerOptions.identity = options.identity;
  if (options.dataConverter !== undefined) workerOptions.dataConverter = options.dataConverter;
  if (options.workflowBundlePath !== undefined) workerOptions.workflowBundle = { codePath: options.workflowBundlePath };
  else {
    const { workflowsPath, preloadModules } = workflowBundleOptions();
    workerOptions.workflowsPath = workflowsPath;
    workerOptions.bundlerOptions = { preloadModules };
  }
  return Worker.create(workerOptions);
}
