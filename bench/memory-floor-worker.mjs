/**
 * The memory floor's worker (memory-floor.ts): plain Node, as the compiled kdf-lightning worker runs, with the
 * benchmark's worker tuning from its environment, and the floor's workflows from a prebuilt bundle (their modules
 * preloaded). Every `floorHeldWorkflow` waits at its activity until the benchmark writes a line to this process's
 * standard input (or closes it): meanwhile that many workflows are cached, each with a running activity, and
 * nothing else is. Prints `worker running` once it polls and `all held` once `FLOOR_WORKFLOWS` activities run.
 *
 * @module
 */
import { Context } from '@temporalio/activity';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';

function setting(name) {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`memory floor worker: ${name} is not set`);
  return value;
}

function count(name) {
  const value = Number(setting(name));
  if (!Number.isInteger(value) || value < 1) throw new Error(`memory floor worker: ${name} must be a positive integer`);
  return value;
}

const workflows = count('FLOOR_WORKFLOWS');
let reached = 0;
const released = new Promise((resolve) => {
  process.stdin.once('data', resolve);
  process.stdin.once('end', resolve);
});

// SIGTERM (the benchmark's stop) shuts the worker down; the held activities then see their cancellation
Runtime.install({ logger: new DefaultLogger('WARN') });
const connection = await NativeConnection.connect({ address: setting('TEMPORAL_ADDRESS') });
const worker = await Worker.create({
  connection,
  namespace: setting('FLOOR_NAMESPACE'),
  taskQueue: setting('FLOOR_TASK_QUEUE'),
  workflowBundle: { codePath: setting('FLOOR_WORKFLOW_BUNDLE') },
  activities: {
    held: async () => {
      reached += 1;
      if (reached === workflows) console.log('all held');
      await Promise.race([released, Context.current().cancelled]);
    },
  },
  // as the in-process floor's worker (floor.ts): the kdf-lightning worker's tuning, a slot for every workflow
  maxCachedWorkflows: Math.max(workflows + 1, count('KDF_MAX_CACHED_WORKFLOWS')),
  maxConcurrentActivityTaskExecutions: Math.max(workflows, count('KDF_MAX_CONCURRENT_ACTIVITIES')),
  maxConcurrentWorkflowTaskExecutions: count('KDF_MAX_CONCURRENT_WORKFLOW_TASKS'),
});
console.log('worker running');
try {
  await worker.run();
} finally {
  await connection.close();
}
