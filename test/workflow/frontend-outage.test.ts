import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities, HEARTBEAT_THROTTLE_MS, type KdfNodeConfig } from '../../activities/index.js';
import { startSimulator, type RunningSimulator } from '../../simulator/index.js';
import { ACTIVATE_ACTIVITY, enablementWorkflowId } from '../../workflows/api.js';
import { enableLightning } from '../../workflows/index.js';
import { TEST_USERPASS, workflowBundle } from '../helpers/enablement-stack.js';
import { taskStarted } from '../helpers/live-progress.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { connectTestEnvironment, uniqueTaskQueue } from '../helpers/temporal.js';

const ENABLEMENTS = 3;
const OUTAGE_MS = 30_000;
const TICKER = 'tBTC-lightning';

let env: TestWorkflowEnvironment;
let proxy: TcpProxy | undefined;
let connection: NativeConnection | undefined;
let worker: Worker | undefined;
let running: Promise<void> | undefined;
let workerError: unknown;
const simulators: RunningSimulator[] = [];

afterAll(async () => {
  proxy?.restore(); // a worker cannot shut down while its frontend is unreachable
  worker?.shutdown();
  await running;
  await connection?.close();
  await proxy?.close();
  await Promise.all(simulators.map((simulator) => simulator.stop()));
  await env?.teardown();
});

test('a Temporal frontend unreachable from the worker for 30 s makes no enablement fail', async () => {
  env = await connectTestEnvironment();
  proxy = await startTcpProxy(process.env.TEMPORAL_ADDRESS as string);
  connection = await NativeConnection.connect({ address: proxy.address });

  const nodes = new Map<string, KdfNodeConfig>();
  for (let i = 0; i < ENABLEMENTS; i++) {
    // 8 phases of 3 s: every task is still running when the outage starts, and ends during it
    const simulator = await startSimulator({ userpass: TEST_USERPASS, phaseMs: 3_000 });
    simulators.push(simulator);
    const id = `outage-${randomUUID().slice(0, 8)}`;
    nodes.set(id, { id, url: simulator.url, userpass: TEST_USERPASS, requestTimeoutMs: 3_000 });
  }

  const taskQueue = uniqueTaskQueue('outage');
  worker = await Worker.create({
    connection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    maxHeartbeatThrottleInterval: HEARTBEAT_THROTTLE_MS, // as the production worker
    activities: createActivities({ nodes }),
  });
  running = worker.run().catch((error: unknown) => {
    workerError = error;
  });

  // The client talks to the frontend directly: only the worker's link goes down.
  const handles = await Promise.all(
    [...nodes.keys()].map((node) =>
      env.client.workflow.start(enableLightning, {
        args: [
          {
            node,
            ticker: TICKER,
            activationParams: { name: 'x' },
            poll: { initialIntervalMs: 500, maxIntervalMs: 2_000, backoffCoefficient: 1.5 },
          },
        ],
        taskQueue,
        workflowId: enablementWorkflowId(node, TICKER),
      })
    )
  );
  for (const handle of handles) {
    await taskStarted(env.client, handle, 30_000);
  }

  proxy.cut();
  await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
  proxy.restore();

  const reports = await Promise.all(handles.map((handle) => handle.result()));
  for (const [i, report] of reports.entries()) {
    expect(report).toMatchObject({ outcome: 'enabled', node: [...nodes.keys()][i], ticker: TICKER });
  }
  for (const simulator of simulators) {
    expect(simulator.stats().initCallsByTicker).toEqual({ [TICKER]: 1 });
    expect(simulator.stats().tasksStartedByTicker).toEqual({ [TICKER]: 1 });
  }

  // The outage did hurt: each activity outlived its 20 s heartbeat timeout; the workflow took the task from its
  // last heartbeat and followed it with another activity once the worker was back (one init each, above).
  for (const handle of handles) {
    const { events } = await handle.fetchHistory();
    const activities = events!.filter(
      (event) => event.activityTaskScheduledEventAttributes?.activityType?.name === ACTIVATE_ACTIVITY
    );
    const timedOutWithHeartbeat = events!.some(
      (event) => event.activityTaskTimedOutEventAttributes?.failure?.timeoutFailureInfo?.lastHeartbeatDetails
    );
    expect(activities.length).toBeGreaterThanOrEqual(2);
    expect(timedOutWithHeartbeat).toBe(true);
  }
  expect(workerError).toBeUndefined();
}, 150_000);
