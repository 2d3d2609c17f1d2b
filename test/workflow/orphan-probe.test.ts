// A retried init whose first attempt's response was lost must find the task that attempt started, and never
// another enablement's task: the in-memory claims of a worker are gone after a restart, so the probe also asks
// Temporal visibility (`KdfTaskId`) which task ids running enablements hold.
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities, visibilityTaskClaims } from '../../activities/index.js';
import { createKdfClient } from '../../activities/kdf/index.js';
import {
  KdfNodeAttribute,
  KdfPhaseAttribute,
  KdfTaskIdAttribute,
  progressQuery,
  STARTING_PHASE,
} from '../../workflows/api.js';
import { EnablementStack, defaultActivation, eventually } from '../helpers/enablement-stack.js';

const STATUS = 'task::enable_lightning::status';
/** What a first attempt heartbeats before it sends init: nothing seen on the node yet. */
const lostInitHeartbeat: { sent: true; highestSeenBefore: number | null } = { sent: true, highestSeenBefore: null };

let stack: EnablementStack;

beforeAll(async () => {
  stack = await EnablementStack.start();
});

afterAll(async () => {
  await stack?.teardown();
});

/**
 * A node where enablement B runs task 0 (claimed in visibility) and a lost init of ticker A started task 1, as
 * seen by a worker that has just restarted (fresh activities, nothing in memory).
 */
async function nodeWithClaimedTaskAndOrphan() {
  const { id: node, simulator } = await stack.addNode();
  // B reads no status during the test, so every fault below meets the probe
  const quiet = { initialIntervalMs: 60_000, maxIntervalMs: 60_000, backoffCoefficient: 1 };
  const other = await stack.start({
    node,
    ticker: 'tBTC-lightning-hang',
    activationParams: defaultActivation,
    poll: quiet,
  });
  const { taskId: claimedTaskId } = await eventually(
    () => other.query(progressQuery),
    (p) => p.taskId !== null
  );
  const claimQuery = `${KdfNodeAttribute.name} = "${node}" AND ${KdfTaskIdAttribute.name} = ${claimedTaskId}`;
  await eventually(
    async () => (await stack.client.workflow.count(claimQuery)).count,
    (count) => count === 1
  );
  const kdf = createKdfClient(stack.nodes.get(node)!);
  const { task_id: orphanTaskId } = await kdf.initLightning({
    ticker: 'tBTC-lightning-hang-2',
    activation_params: { ...defaultActivation, listening_port: 9736 },
  });
  return { node, simulator, other, claimedTaskId, orphanTaskId };
}

const retriedStart = (node: string, claims = visibilityTaskClaims(stack.client), heartbeat = lostInitHeartbeat) =>
  new MockActivityEnvironment({ heartbeatDetails: heartbeat }).run(
    createActivities({ nodes: stack.nodes, claims }).startActivation,
    {
      node,
      ticker: 'tBTC-lightning-hang-2',
      activationParams: { ...defaultActivation, listening_port: 9736 },
    }
  );

test('after a worker restart the probe skips the task another running enablement holds', async () => {
  const { node, simulator, other, claimedTaskId, orphanTaskId } = await nodeWithClaimedTaskAndOrphan();
  expect(orphanTaskId).toBeGreaterThan(claimedTaskId!);
  const initsBefore = simulator.stats().calls['task::enable_lightning::init'];

  expect(await retriedStart(node)).toMatchObject({ kind: 'started', taskId: orphanTaskId, adopted: true });
  expect(simulator.stats().calls['task::enable_lightning::init']).toBe(initsBefore);

  // without durable claims both running tasks could be the lost one: the probe refuses to guess
  const noClaims = { isClaimed: () => Promise.resolve(false), startsUnrecorded: () => Promise.resolve(0) };
  await expect(retriedStart(node, noClaims)).rejects.toMatchObject({
    type: 'KdfInitInDoubt',
    nonRetryable: false,
    details: [{ candidates: [claimedTaskId, orphanTaskId], unrecorded: 0 }],
  });
  await other.terminate('test done');
});

test('while another enablement on the node has not recorded its task yet, the probe waits instead of adopting', async () => {
  const { node, simulator, other, orphanTaskId } = await nodeWithClaimedTaskAndOrphan();
  // a third enablement whose init takes 2.5 s (the request timeout is 3 s) stays `starting` meanwhile: the orphan
  // could be its task
  simulator.injectFault({ kind: 'latency', method: 'task::enable_lightning::init', latencyMs: 2_500, count: 1 });
  const third = await stack.start({
    node,
    ticker: 'tBTC-lightning-slow',
    activationParams: { ...defaultActivation, listening_port: 9737 },
  });
  const starting = `${KdfNodeAttribute.name} = "${node}" AND ${KdfPhaseAttribute.name} = "${STARTING_PHASE}"`;
  await eventually(
    async () => (await stack.client.workflow.count(starting)).count,
    (count) => count === 1
  );
  await expect(retriedStart(node)).rejects.toMatchObject({ type: 'KdfInitInDoubt', details: [{ unrecorded: 1 }] });

  await eventually(
    () => third.query(progressQuery),
    (p) => p.taskId !== null
  );
  await eventually(
    async () => (await stack.client.workflow.count(starting)).count,
    (count) => count === 0
  );
  expect(await retriedStart(node)).toMatchObject({ kind: 'started', taskId: orphanTaskId, adopted: true });
  await Promise.all([other.terminate('test done'), third.terminate('test done')]);
});

test('probes that fail in transport are tried again instead of failing the retried init', async () => {
  const { node, simulator, other, orphanTaskId } = await nodeWithClaimedTaskAndOrphan();
  simulator.injectFault({ kind: 'http502', method: STATUS, count: 2 });

  expect(await retriedStart(node)).toMatchObject({ kind: 'started', taskId: orphanTaskId, adopted: true });
  // the first two reads of task 0 failed, the third answered (claimed: skipped), then task 1 was found
  expect(simulator.stats().faultsInjected.http502).toBe(2);
  expect(simulator.stats().tasksStartedByTicker['tBTC-lightning-hang-2']).toBe(1);
  await other.terminate('test done');
});

test('a KDF restarted since the ids were seen numbers from 0 again: the probe looks there too', async () => {
  const { id: node, simulator } = await stack.addNode();
  const { task_id: orphanTaskId } = await createKdfClient(stack.nodes.get(node)!).initLightning({
    ticker: 'tBTC-lightning-hang-2',
    activation_params: { ...defaultActivation, listening_port: 9736 },
  });
  const seenBeforeRestart = { sent: true as const, highestSeenBefore: 40 };
  expect(await retriedStart(node, visibilityTaskClaims(stack.client), seenBeforeRestart)).toMatchObject({
    kind: 'started',
    taskId: orphanTaskId,
    adopted: true,
  });
  expect(simulator.stats().tasksStartedByTicker['tBTC-lightning-hang-2']).toBe(1);
});

test('a retry whose first attempt died before its heartbeat got out still looks for the task', async () => {
  const { id: node, simulator } = await stack.addNode();
  const { task_id: orphanTaskId } = await createKdfClient(stack.nodes.get(node)!).initLightning({
    ticker: 'tBTC-lightning-hang-2',
    activation_params: { ...defaultActivation, listening_port: 9736 },
  });
  const secondAttempt = new MockActivityEnvironment({ attempt: 2 });
  const activities = createActivities({ nodes: stack.nodes, claims: visibilityTaskClaims(stack.client) });
  expect(
    await secondAttempt.run(activities.startActivation, {
      node,
      ticker: 'tBTC-lightning-hang-2',
      activationParams: { ...defaultActivation, listening_port: 9736 },
    })
  ).toMatchObject({ kind: 'started', taskId: orphanTaskId, adopted: true });
  expect(simulator.stats().tasksStartedByTicker['tBTC-lightning-hang-2']).toBe(1);
});
