import { randomUUID } from 'node:crypto';
import { WorkflowIdConflictPolicy } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { temporal } from '@temporalio/proto';
import {
  createActivities,
  createFleetActivities,
  createPreflightActivities,
  HEARTBEAT_THROTTLE_MS,
  KdfEventStreams,
  type KdfNodeConfig,
} from '../../activities/index.js';
import { startSimulator, type RunningSimulator } from '../../simulator/index.js';
import { enablementWorkflowId, type EnableLightningInput } from '../../workflows/api.js';
import { enableLightning } from '../../workflows/index.js';
import { connectTestEnvironment, uniqueTaskQueue } from './temporal.js';
import { workflowBundlePath } from './workflow-bundle.mjs';

export const TEST_USERPASS = 'Sim-Userpass-7f3c9e1d-never-leak';

/** The run's prebuilt workflow bundle (test/helpers/workflow-bundle.mjs), for in-process workers and replays. */
export const workflowBundle = async (): Promise<{ codePath: string }> => ({ codePath: await workflowBundlePath() });

type NodeOptions = Omit<Parameters<typeof startSimulator>[0], 'userpass'> & { eventStream?: boolean };

/**
 * A real dev server (from jest's global set-up), an in-process worker on its own task queue, and a registry of
 * simulated KDF nodes that each test extends with fresh nodes.
 */
export class EnablementStack {
  readonly taskQueue = uniqueTaskQueue('enable');
  readonly nodes = new Map<string, KdfNodeConfig>();
  readonly workflowIds: string[] = [];
  readonly eventStreams = new KdfEventStreams(this.nodes);
  readonly #simulators: RunningSimulator[] = [];
  #worker: Worker | undefined;
  #running: Promise<void> | undefined;

  private constructor(readonly env: TestWorkflowEnvironment) {}

  static async start(): Promise<EnablementStack> {
    const stack = new EnablementStack(await connectTestEnvironment());
    await stack.startWorker();
    return stack;
  }

  get client() {
    return this.env.client;
  }

  async startWorker(): Promise<void> {
    this.#worker = await Worker.create({
      connection: this.env.nativeConnection,
      taskQueue: this.taskQueue,
      workflowBundle: await workflowBundle(),
      maxHeartbeatThrottleInterval: HEARTBEAT_THROTTLE_MS, // as the production worker (worker/create-worker.ts)
      activities: {
        ...createActivities({
          nodes: this.nodes,
          eventStreams: this.eventStreams,
        }),
        ...createFleetActivities({ client: this.env.client }),
        ...createPreflightActivities({ nodes: this.nodes, client: this.env.client }),
      },
    });
    this.#running = this.#worker.run();
  }

  async stopWorker(): Promise<void> {
    this.#worker?.shutdown();
    await this.#running;
    this.#worker = undefined;
  }

  /** A fresh simulated KDF node under a unique node id; `eventStream` makes the worker follow its stream. */
  async addNode({ eventStream = false, ...options }: NodeOptions = {}) {
    const simulator = await startSimulator({ userpass: TEST_USERPASS, ...options });
    this.#simulators.push(simulator);
    const id = `sim-${randomUUID().slice(0, 8)}`;
    this.nodes.set(id, { id, url: simulator.url, userpass: TEST_USERPASS, requestTimeoutMs: 3_000, eventStream });
    return { id, simulator };
  }

  async start(input: EnableLightningInput) {
    const workflowId = enablementWorkflowId(input.node, input.ticker);
    this.workflowIds.push(workflowId);
    return this.client.workflow.start(enableLightning, {
      args: [input],
      taskQueue: this.taskQueue,
      workflowId,
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    });
  }

  async history(workflowId: string): Promise<temporal.api.history.v1.IHistory> {
    return this.client.workflow.getHandle(workflowId).fetchHistory();
  }

  async teardown(): Promise<void> {
    await this.stopWorker();
    this.eventStreams.close();
    await Promise.all(this.#simulators.map((simulator) => simulator.stop()));
    await this.env.teardown();
  }
}

export { eventually } from './wait.js';

export const defaultActivation = { name: 'kdf-lightning-test' };
