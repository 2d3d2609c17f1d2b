import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startSimulator, type RunningSimulator } from '../../simulator/index.js';
import { enablementWorkflowId } from '../../workflows/api.js';
import { TEST_USERPASS, defaultActivation } from '../helpers/enablement-stack.js';
import { recordHistoriesIfAsked, replayFailures } from '../helpers/histories.js';
import { taskStarted } from '../helpers/live-progress.js';
import { connectTestEnvironment, uniqueTaskQueue } from '../helpers/temporal.js';
import { killProcess, startWorkerProcess } from '../helpers/worker-process.js';

let env: TestWorkflowEnvironment;
let simulator: RunningSimulator;
const workers: Awaited<ReturnType<typeof startWorkerProcess>>[] = [];

beforeAll(async () => {
  env = await connectTestEnvironment();
  // 8 phases of 4 s: the task still runs when the worker is killed (asserted) and when the workflow learns that its
  // activity timed out (20 s heartbeat timeout), so only the task id in its last heartbeat avoids a second init
  simulator = await startSimulator({ userpass: TEST_USERPASS, phaseMs: 4_000 });
});

afterAll(async () => {
  await Promise.all(workers.map(({ child }) => killProcess(child)));
  await simulator?.stop();
  await env?.teardown();
});

test('a worker killed mid-poll is replaced and the enablement completes with exactly one init', async () => {
  const node = `crash-${randomUUID().slice(0, 8)}`;
  const taskQueue = uniqueTaskQueue('crash');
  const options = { taskQueue, nodes: { [node]: simulator.url }, userpass: TEST_USERPASS };
  workers.push(await startWorkerProcess(options));

  const handle = await env.client.workflow.start('enableLightning', {
    args: [{ node, ticker: 'tBTC-lightning', activationParams: defaultActivation }],
    taskQueue,
    workflowId: enablementWorkflowId(node, 'tBTC-lightning'),
  });
  await taskStarted(env.client, handle, 30_000);
  await killProcess(workers[0]!.child, 'SIGKILL');
  expect(simulator.stats().activeTasks).toBe(1);

  workers.push(await startWorkerProcess(options));
  const report = await handle.result();
  expect(report).toMatchObject({ outcome: 'enabled', node, ticker: 'tBTC-lightning', initsInDoubt: 0 });
  expect(simulator.stats().calls['task::enable_lightning::init']).toBe(1);
  expect(simulator.stats().tasksStartedByTicker['tBTC-lightning']).toBe(1);

  // the activity that timed out with the task in its last heartbeat, then the one that followed it: replayed
  const histories = [{ workflowId: handle.workflowId, history: await handle.fetchHistory() }];
  expect(await replayFailures(histories)).toEqual([]);
  recordHistoriesIfAsked('worker-crash', histories);
}, 120_000);
