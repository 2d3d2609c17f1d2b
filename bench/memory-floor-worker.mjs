/**
 * The memory floor's worker (memory-floor.ts): plain Node, as the compiled kdf-lightning worker runs, with the
 * benchmark's worker tuning from its environment, and the floor's workflows from a prebuilt bundle (their modules
 * preloaded). Every `floorHeldWorkflow` waits at its activity until all `FLOOR_WORKFLOWS` have reached theirs, and
 * `FLOOR_HOLD_MS` more: then that many workflows are cached, each with a running activity, and nothing else is.
 * Prints `worker running` once it polls and `all held` once every activity has started.
 *
 * @module
 */
import { setTimeout } from 'node:timers';
import { Context } from '@temporalio/activity';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';

function setting(name) {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`memory floor worker: ${name} is not set`);
  return value;
}

const workflows = Number(setting('FLOOR_WORKFLOWS'));
const holdMs = Number(setting('FLOOR_HOLD_MS'));
let reached = 0;
let release = () => undefined;
const released = new Promise((resolve) => (release = resolve));

// SIGTERM (the benchmark's stop) shuts the worker down; the held activities then see their cancellation
Runtime.install({ logger: new DefaultLogger('WARN') });
const connection = await NativeConnection.connect({ address: setting('TEMPORAL_ADDRESS') });
const worker = await Worker.create({
  connection,
  namespace: setting('FLOOR_NAMESPACE'),
  taskQueue: setting('FLOOR_TASK_QUEUE'),
  workflowBundle: { codePath: setting('FLOOR_WORKFLOW_BUNDLE') },
  activities: {
    noop: async () => undefined,
    held: async () => {
      reached += 1;
      if (reached === workflows) {
        console.log('all held');
        setTimeout(release, holdMs);
      }
      await Promise.race([released, Context.current().cancelled]);
    },
  },
  // as the in-process floor's worker (floor.ts): the kdf-lightning worker's tuning, a slot for every workflow
  maxCachedWorkflows: Math.max(workflows + 1, Number(setting('KDF_MAX_CACHED_WORKFLOWS'))),
  maxConcurrentActivityTaskExecutions: Math.max(workflows, Number(setting('KDF_MAX_CONCURRENT_ACTIVITIES'))),
  maxConcurrentWorkflowTaskExecutions: Number(setting('KDF_MAX_CONCURRENT_WORKFLOW_TASKS')),
});
console.log('worker running');
try {
  await worker.run();
} finally {
  await connection.close();
}
