// G4 through worker kills: the worker process is SIGKILLed in each window where an init may have reached KDF
// without its reply reaching history, on a node whose task ids are far from 0. Whatever happens, the enablement
// ends with the node's real state and at most one task of the ticker ends Ok (docs/guarantees.md G4).
// The cases share nothing (each its node, proxy, task queue and workers) and mostly wait: they run concurrently.
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createKdfClient } from '../../activities/kdf/index.js';
import { startSimulator, type Fault, type RunningSimulator, type SimulatorStats } from '../../simulator/index.js';
import { enablementWorkflowId, type EnablementReport } from '../../workflows/api.js';
import { TEST_USERPASS, defaultActivation, eventually } from '../helpers/enablement-stack.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { connectTestEnvironment, uniqueTaskQueue } from '../helpers/temporal.js';
import { killProcess, startWorkerProcess } from '../helpers/worker-process.js';

const TICKER = 'tBTC-lightning';
const INIT = 'task::enable_lightning::init';
/**
 * Phases long enough that the task the lost init started still holds the port when the retried init's task
 * reaches its bind (5 phases in): the second task fails with "Address already in use" while the first goes on.
 */
const SLOW_PHASE_MS = 4_000;
/** Tasks of another ticker the node has run before the enablement: its ids are far from 0. */
const EARLIER_TASKS = 500;

let env: TestWorkflowEnvironment;
const simulators: RunningSimulator[] = [];
const proxies: TcpProxy[] = [];
const workers: Awaited<ReturnType<typeof startWorkerProcess>>[] = [];

beforeAll(async () => {
  env = await connectTestEnvironment();
});

afterAll(async () => {
  await Promise.all(workers.map(({ child }) => killProcess(child)));
  await Promise.all(simulators.map((simulator) => simulator.stop()));
  await Promise.all(proxies.map((proxy) => proxy.close()));
  await env?.teardown();
});

/** A simulated node that has run (and cancelled) EARLIER_TASKS activations of another ticker. */
async function busyNode(phaseMs: number): Promise<RunningSimulator> {
  const simulator = await startSimulator({ userpass: TEST_USERPASS, phaseMs });
  simulators.push(simulator);
  const kdf = createKdfClient({ id: 'busy', url: simulator.url, userpass: TEST_USERPASS });
  for (let index = 0; index < EARLIER_TASKS; index++) {
    const { task_id } = await kdf.initLightning({ ticker: 'tBTC-lightning-hang-2', activation_params: { name: 'x' } });
    await kdf.cancelLightning(task_id);
  }
  return simulator;
}

/**
 * Starts an enablement on a worker process, injects `fault`, SIGKILLs the worker once `inWindow` holds (after
 * `beforeKill`), starts another worker, and returns the report and the node's final stats. Phases last `phaseMs`.
 */
async function killedInWindow(
  phaseMs: number,
  fault: Fault,
  inWindow: (stats: SimulatorStats) => boolean,
  beforeKill: (proxy: TcpProxy) => Promise<void> = async () => undefined
): Promise<{ report: EnablementReport; stats: SimulatorStats; enabled: boolean }> {
  const simulator = await busyNode(phaseMs);
  const proxy = await startTcpProxy(process.env.TEMPORAL_ADDRESS as string);
  proxies.push(proxy);
  const node = `busy-${randomUUID().slice(0, 8)}`;
  const taskQueue = uniqueTaskQueue('in-doubt');
  const options = { taskQueue, nodes: { [node]: simulator.url }, userpass: TEST_USERPASS };
  const first = await startWorkerProcess({ ...options, env: { TEMPORAL_ADDRESS: proxy.address } });
  workers.push(first);
  simulator.injectFault(fault);
  const handle = await env.client.workflow.start('enableLightning', {
    args: [{ node, ticker: TICKER, activationParams: defaultActivation }],
    taskQueue,
    workflowId: enablementWorkflowId(node, TICKER),
  });
  await eventually(() => simulator.stats(), inWindow, 30_000);
  await beforeKill(proxy);
  await killProcess(first.child, 'SIGKILL');
  proxy.restore();
  workers.push(await startWorkerProcess(options));
  const report = (await handle.result()) as EnablementReport;
  // every task of the ticker has ended (the losers at their port bind) before the Ok count is final
  await eventually(
    () => simulator.stats(),
    (stats) => stats.activeTasks === 0,
    30_000
  );
  const kdf = createKdfClient({ id: node, url: simulator.url, userpass: TEST_USERPASS });
  return { report, stats: simulator.stats(), enabled: (await kdf.enabledCoins()).includes(TICKER) };
}

test.concurrent(
  'killed before init is sent (preflight in flight): enabled, one task',
  async () => {
    const { report, stats, enabled } = await killedInWindow(
      1_000,
      { kind: 'latency', method: 'get_enabled_coins', latencyMs: 8_000, count: 1 },
      (stats) => (stats.faultsInjected['latency'] ?? 0) >= 1
    );
    expect(report.outcome).toBe('enabled');
    expect(enabled).toBe(true);
    expect(stats.tasksStartedByTicker[TICKER]).toBe(1);
    expect(stats.okTasksByTicker[TICKER]).toBe(1);
  },
  150_000
);

test.concurrent(
  'killed after init is sent, before its reply: the node’s real state, at most one Ok',
  async () => {
    const { report, stats, enabled } = await killedInWindow(
      SLOW_PHASE_MS,
      { kind: 'slow-reply', method: INIT, latencyMs: 8_000, count: 1 },
      (stats) => (stats.initCallsByTicker[TICKER] ?? 0) >= 1
    );
    expect(report.outcome).toBe('enabled');
    expect(enabled).toBe(true);
    expect(report.initsInDoubt).toBe(1);
    expect(stats.okTasksByTicker[TICKER]).toBe(1);
  },
  150_000
);

test.concurrent(
  'killed after the reply, before the activity completes: the node’s real state, at most one Ok',
  async () => {
    const { report, stats, enabled } = await killedInWindow(
      SLOW_PHASE_MS,
      { kind: 'slow-reply', method: INIT, latencyMs: 1_500, count: 1 },
      (stats) => (stats.initCallsByTicker[TICKER] ?? 0) >= 1,
      async (proxy) => {
        // the worker cannot reach Temporal when the reply arrives, so its result never gets out
        proxy.cut();
        await new Promise((resolve) => setTimeout(resolve, 3_000));
      }
    );
    expect(report.outcome).toBe('enabled');
    expect(enabled).toBe(true);
    expect(report.initsInDoubt).toBe(1);
    expect(stats.okTasksByTicker[TICKER]).toBe(1);
  },
  150_000
);
