/**
 * The kdf-lightning worker as the benchmark runs it: compiled, as the image runs it (worker-build.ts), in its own
 * process (so its CPU and memory can be read from /proc), with the tuning of worker-tuning.ts.
 *
 * @module
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { KdfNodeConfig } from '../activities/index.js';
import { logOutput, printed, spawnNode, terminate, type OnSpawn } from './child-process.js';
import { readProcessUsage, type ProcessUsage } from './process-usage.js';
import type { WorkerBuild } from './worker-build.js';

const READY_LINE = 'worker running';
const USERPASS_VARIABLE = 'KDF_BENCH_USERPASS';

export interface WorkerProcessOptions {
  temporalAddress: string;
  taskQueue: string;
  nodes: KdfNodeConfig[];
  /** `eventStream: true` for every node of the nodes file: the worker follows their event streams (push side). */
  eventStream: boolean;
  build: WorkerBuild;
  /** Its tuning variables (worker-tuning.ts and overrides). */
  tuning: Record<string, string>;
  /** The worker's output goes here. */
  logFile: string;
  onSpawn: OnSpawn | undefined;
}

export interface WorkerProcess {
  readonly pid: number;
  /** Rejects if the worker exits before `stop()`: a run cannot finish without it. */
  readonly crashed: Promise<never>;
  usage(): ProcessUsage;
  stop(): Promise<void>;
}

/** Starts the worker and resolves once it polls its task queue. */
export async function startWorkerProcess(options: WorkerProcessOptions): Promise<WorkerProcess> {
  const child = spawnNode([options.build.main], {
    env: {
      ...options.tuning,
      TEMPORAL_ADDRESS: options.temporalAddress,
      KDF_TASK_QUEUE: options.taskQueue,
      KDF_NODES_FILE: writeNodesFile(options.nodes, options.eventStream),
      [USERPASS_VARIABLE]: options.nodes[0]?.userpass ?? '',
      KDF_WORKFLOW_BUNDLE: options.build.workflowBundle,
      KDF_LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    onSpawn: options.onSpawn,
  });
  logOutput(child, options.logFile);
  try {
    await printed(child, READY_LINE, `the worker (see ${options.logFile})`);
  } catch (error) {
    await terminate(child);
    throw error;
  }
  let stopping = false;
  const crashed = new Promise<never>((_, reject) => {
    child.once('exit', (code, signal) => {
      if (!stopping) reject(new Error(`the worker exited (${signal ?? code}) during the run; see ${options.logFile}`));
    });
  });
  // observed by whoever races it; a stop() must not surface as an unhandled rejection
  crashed.catch(() => undefined);
  return {
    pid: child.pid as number,
    crashed,
    usage: () => readProcessUsage(child.pid as number),
    stop: () => {
      stopping = true;
      return terminate(child);
    },
  };
}

/** All nodes share the benchmark's userpass, passed in one environment variable. */
function writeNodesFile(nodes: KdfNodeConfig[], eventStream: boolean): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'kdf-bench-nodes-')), 'nodes.json');
  const entries = nodes.map(({ id, url }) => [
    id,
    { url, userpassEnv: USERPASS_VARIABLE, ...(eventStream && { eventStream: true }) },
  ]);
  writeFileSync(file, JSON.stringify({ nodes: Object.fromEntries(entries) }));
  return file;
}
