// design.md "Guarantees" G1–G5, each through a fault the simulator injects, against the real dev server
// (docs/guarantees.md has the arguments). Worker kills in the in-doubt windows are in in-doubt-crash.test.ts.
// Each case has its own simulated node and mostly waits on time: the cases run concurrently, on one worker as in
// production; the last test replays every history once all have ended.
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { createKdfClient } from '../../activities/kdf/index.js';
import type { Fault } from '../../simulator/index.js';
import {
  cancelSignal,
  progressQuery,
  REPORT_MEMO_KEY,
  type CompensationReport,
  type EnablementReport,
} from '../../workflows/api.js';
import { EnablementStack, defaultActivation, eventually } from '../helpers/enablement-stack.js';
import { recordHistoriesIfAsked, replayFailures } from '../helpers/histories.js';
import { taskStarted } from '../helpers/live-progress.js';
import { freePort } from '../e2e/helpers.js';

const INIT = 'task::enable_lightning::init';
const STATUS = 'task::enable_lightning::status';
const CANCEL = 'task::enable_lightning::cancel';
const fastPoll = { initialIntervalMs: 100, maxIntervalMs: 500, backoffCoefficient: 1.5 };
/** G1: an enablement ends within its deadline + this, and within this of an ops cancel. */
const G1_MARGIN_MS = 60_000;

let stack: EnablementStack;
/** The `cancelKdfTask` workflows the reports named, replayed with the enablements at the end. */
const compensationIds: string[] = [];

beforeAll(async () => {
  stack = await EnablementStack.start();
});

afterAll(async () => {
  await stack?.teardown();
});

/** How the workflow ended: its report (from the result, the failure, or the memo of a Canceled one) and status. */
async function ending(handle: WorkflowHandle): Promise<{ report: EnablementReport; type?: string; status: string }> {
  const settled = await handle.result().then(
    (report: EnablementReport) => ({ report }),
    (error: unknown) => ({ error })
  );
  const { status, memo } = await handle.describe();
  let ended: { report: EnablementReport; type?: string; status: string };
  if ('report' in settled) ended = { report: settled.report, status: status.name };
  else {
    expect(settled.error).toBeInstanceOf(WorkflowFailedError);
    const cause = (settled.error as WorkflowFailedError).cause;
    if (cause instanceof CancelledFailure) {
      ended = { report: memo?.[REPORT_MEMO_KEY] as EnablementReport, status: status.name };
    } else {
      expect(cause).toBeInstanceOf(ApplicationFailure);
      const failure = cause as ApplicationFailure;
      ended = { report: failure.details?.[0] as EnablementReport, type: failure.type ?? '', status: status.name };
    }
  }
  if (ended.report?.compensation?.workflowId) compensationIds.push(ended.report.compensation.workflowId);
  return ended;
}

/** A node id whose URL is a loopback port nobody listens on. */
async function unreachableNode(): Promise<string> {
  const id = `closed-${Math.random().toString(16).slice(2, 10)}`;
  stack.nodes.set(id, {
    id,
    url: `http://127.0.0.1:${await freePort()}/`,
    userpass: 'unused',
    requestTimeoutMs: 1_000,
  });
  return id;
}

async function hangingEnablement(timeoutMs?: number) {
  const { id: node, simulator } = await stack.addNode();
  const handle = await stack.start({
    node,
    ticker: 'tBTC-lightning-hang',
    activationParams: defaultActivation,
    poll: fastPoll,
    ...(timeoutMs !== undefined && { timeoutMs }),
  });
  const { taskId } = await taskStarted(stack.client, handle);
  return { node, simulator, handle, taskId };
}

/** An enablement of `ticker` (fast polling) on a new node with `phaseMs` phases, `fault` injected first. */
async function startThrough(ticker: string, phaseMs: number, fault: Fault) {
  const { id: node, simulator } = await stack.addNode({ phaseMs });
  simulator.injectFault(fault);
  const handle = await stack.start({ node, ticker, activationParams: defaultActivation, poll: fastPoll });
  return { simulator, handle };
}

async function opsCancel(handle: WorkflowHandle, reason = 'test', by = 'ops'): Promise<number> {
  await handle.signal(cancelSignal, reason, by);
  await handle.cancel();
  return Date.now();
}

test.concurrent('G1: a node unreachable past the deadline: timed_out within deadline + 60 s', async () => {
  const startedAt = Date.now();
  const handle = await stack.start({
    node: await unreachableNode(),
    ticker: 'tBTC-lightning',
    activationParams: defaultActivation,
    timeoutMs: 5_000,
  });
  const { report, type } = await ending(handle);
  expect(type).toBe('EnablementTimedOut');
  expect(report).toMatchObject({ outcome: 'timed_out', taskId: null });
  expect(Date.now() - startedAt).toBeLessThan(5_000 + G1_MARGIN_MS);
});

test.concurrent('G1: an ops cancel while the node is unreachable: Canceled within 60 s', async () => {
  const handle = await stack.start({
    node: await unreachableNode(),
    ticker: 'tBTC-lightning',
    activationParams: defaultActivation,
  });
  await eventually(
    () => handle.query(progressQuery),
    (p) => p.lastError !== undefined || p.retries > 0,
    30_000
  ).catch(() => undefined);
  const cancelledAt = await opsCancel(handle, 'node gone', 'alice');
  const { report, status } = await ending(handle);
  expect(status).toBe('CANCELLED');
  expect(report).toMatchObject({ outcome: 'cancelled', cancel: { reason: 'node gone', requestedBy: 'alice' } });
  expect(Date.now() - cancelledAt).toBeLessThan(G1_MARGIN_MS);
});

test.concurrent(
  'G1: a node that stops answering while its task runs: timed_out in time, compensation handed off',
  async () => {
    const { simulator, handle, taskId, node } = await hangingEnablement(4_000);
    const startedAt = Date.now();
    simulator.injectFault({ kind: 'reset', durationMs: 120_000 });
    const { report, type } = await ending(handle);
    expect(type).toBe('EnablementTimedOut');
    expect(Date.now() - startedAt).toBeLessThan(4_000 + G1_MARGIN_MS);
    expect(report.compensation).toMatchObject({ result: 'handed_off', workflowId: expect.any(String) });
    // the node answers again: the compensation workflow cancels the task
    simulator.clearFaults();
    const compensation = stack.client.workflow.getHandle(report.compensation!.workflowId!);
    expect((await compensation.result()) as CompensationReport).toMatchObject({
      node,
      taskId,
      result: 'cancelled',
      enabled: false,
    });
    expect(simulator.stats().cancelledTasks).toBe(1);
  },
  120_000
);

test.concurrent('G1: init refused every time with Internal: failed with that type, no retry', async () => {
  const { id: node, simulator } = await stack.addNode();
  const handle = await stack.start({
    node,
    ticker: 'tBTC-lightning-not-segwit',
    activationParams: defaultActivation,
  });
  const { report, type } = await ending(handle);
  expect(type).toBe('Internal');
  expect(report).toMatchObject({ outcome: 'failed', error: { type: 'Internal' } });
  expect(simulator.stats().calls[INIT]).toBe(1);
});

test.concurrent(
  'G2/G3: cancel failing past the enablement’s bound, then working: the enablement ends in time, its task is cancelled',
  async () => {
    // The outage outlasts the enablement's bound (deadline + G1_MARGIN_MS) and the old bounded compensation (five
    // attempts, ~1 minute at most), so only a compensation that goes on after the enablement cancels the task. A
    // longer outage proves nothing more; cancelKdfTask's backoff (1 s doubling to 30 s) retries ~64 s (inside it)
    // and ~94 s after the deadline, so the case takes ~95 s.
    const outageMs = 75_000;
    const { simulator, handle, taskId } = await hangingEnablement(3_000);
    const startedAt = Date.now();
    simulator.injectFault({ kind: 'http503', method: CANCEL, durationMs: outageMs });
    const { report } = await ending(handle);
    expect(Date.now() - startedAt).toBeLessThan(3_000 + G1_MARGIN_MS);
    expect(report).toMatchObject({ outcome: 'timed_out', compensation: { result: 'handed_off' } });
    expect(simulator.stats().activeTasks).toBe(1);
    const compensation = stack.client.workflow.getHandle(report.compensation!.workflowId!);
    expect((await compensation.result()) as CompensationReport).toMatchObject({ taskId, result: 'cancelled' });
    expect(Date.now() - startedAt).toBeGreaterThan(Math.max(outageMs, 3_000 + G1_MARGIN_MS));
    expect(simulator.stats()).toMatchObject({ cancelledTasks: 1, activeTasks: 0 });
  },
  200_000
);

test.concurrent(
  'G1/G2: a cancel while init is on the wire: its reply is awaited and the task it started is cancelled in time',
  async () => {
    // KDF takes 12 s to answer init (within the node's 15 s request timeout): the cancel reaches the activity at its
    // first heartbeat (4 s in), while the init is still on the wire
    const { id: node, simulator } = await stack.addNode({ phaseMs: 100 });
    stack.nodes.set(node, { ...stack.nodes.get(node)!, requestTimeoutMs: 15_000 });
    simulator.injectFault({ kind: 'slow-reply', method: INIT, latencyMs: 12_000, count: 1 });
    const handle = await stack.start({
      node,
      ticker: 'tBTC-lightning-hang',
      activationParams: defaultActivation,
      poll: fastPoll,
    });
    await eventually(
      () => simulator.stats(),
      (stats) => (stats.calls[INIT] ?? 0) >= 1
    );
    const cancelledAt = await opsCancel(handle, 'init in flight', 'bob');
    const { report, status } = await ending(handle);
    expect(status).toBe('CANCELLED');
    expect(report).toMatchObject({ outcome: 'cancelled', initsInDoubt: 0, compensation: { result: 'cancelled' } });
    expect(report.taskId).not.toBeNull();
    expect(simulator.stats()).toMatchObject({ cancelledTasks: 1, activeTasks: 0 });
    expect(Date.now() - cancelledAt).toBeLessThan(G1_MARGIN_MS);
  }
);

test.concurrent(
  'G2: a task started after a KDF restart under the id of the lost one is still known, and cancelled on a stop',
  async () => {
    const { simulator, handle, taskId } = await hangingEnablement();
    expect(taskId).toBe(0); // a fresh node: the restarted one numbers its tasks from 0 again
    simulator.restart();
    await eventually(
      () => simulator.stats(),
      (stats) => (stats.calls[INIT] ?? 0) >= 1 && stats.activeTasks === 1,
      30_000
    );
    await opsCancel(handle);
    const { report, status } = await ending(handle);
    expect(status).toBe('CANCELLED');
    expect(report).toMatchObject({ outcome: 'cancelled', taskId: 0, compensation: { result: 'cancelled' } });
    expect(simulator.stats()).toMatchObject({ cancelledTasks: 1, activeTasks: 0 });
  }
);

test.concurrent('G2/G3: a cancel accepted, then the task ends Ok: outcome enabled', async () => {
  const { simulator, handle } = await hangingEnablement();
  simulator.injectFault({ kind: 'complete-on-cancel', method: CANCEL });
  await opsCancel(handle);
  const { report, status } = await ending(handle);
  expect(status).toBe('COMPLETED');
  expect(report).toMatchObject({ outcome: 'enabled', compensation: { result: 'cancelled' } });
  expect(simulator.stats().calls[CANCEL]).toBe(1);
});

test.concurrent('G2/G3: a poll that fails non-retryably while the task runs: the task is cancelled', async () => {
  const { simulator, handle } = await hangingEnablement();
  simulator.injectFault({ kind: 'no-such-method', method: STATUS });
  const { report, type } = await ending(handle);
  expect(type).toBe('NoSuchMethod');
  expect(report).toMatchObject({ outcome: 'failed', compensation: { result: 'cancelled' } });
  expect(simulator.stats()).toMatchObject({ cancelledTasks: 1, activeTasks: 0 });
});

test.concurrent(
  'G2/G3: a task KDF forgot in a restart: compensation sends no cancel (the id may be another task’s)',
  async () => {
    const { id: node, simulator } = await stack.addNode();
    const slowPoll = { initialIntervalMs: 30_000, maxIntervalMs: 30_000, backoffCoefficient: 1 };
    const handle = await stack.start({
      node,
      ticker: 'tBTC-lightning-hang',
      activationParams: defaultActivation,
      timeoutMs: 3_000,
      poll: slowPoll,
    });
    await taskStarted(stack.client, handle);
    simulator.restart();
    const { report } = await ending(handle);
    expect(report).toMatchObject({ outcome: 'timed_out', compensation: { result: 'not_found' } });
    expect(simulator.stats().calls[CANCEL] ?? 0).toBe(0);
  }
);

test.concurrent(
  'G2/G3: another task of the ticker enabled the coin: compensation sends no cancel, the coin stays enabled',
  async () => {
    const { node, simulator, handle } = await hangingEnablement();
    // a second task of the same ticker (on another port) registers the coin first
    const kdf = createKdfClient(stack.nodes.get(node)!);
    const other = await kdf.initLightning({
      ticker: 'tBTC-lightning-hang',
      activation_params: { ...defaultActivation, listening_port: 9736 },
    });
    simulator.finishTask(other.task_id, 'ok');
    await opsCancel(handle);
    const { report } = await ending(handle);
    expect(report).toMatchObject({ outcome: 'enabled', compensation: { result: 'skipped' } });
    expect(simulator.stats().calls[CANCEL] ?? 0).toBe(0);
    expect(await kdf.enabledCoins()).toContain('tBTC-lightning-hang');
  }
);

test.concurrent('G4/G5: an init attempt slower than its timeout: one Ok, the coin enabled', async () => {
  // KDF takes 5 s to handle it; the worker's request times out after 3 s, and init is sent again
  const { simulator, handle } = await startThrough('tBTC-lightning', 500, {
    kind: 'latency',
    method: INIT,
    latencyMs: 5_000,
    count: 1,
  });
  const { report } = await ending(handle);
  expect(report).toMatchObject({ outcome: 'enabled', initsInDoubt: 1 });
  await eventually(
    () => simulator.stats(),
    (stats) => stats.activeTasks === 0,
    20_000
  );
  const stats = simulator.stats();
  expect(stats.tasksStartedByTicker['tBTC-lightning']).toBe(2);
  expect(stats.okTasksByTicker['tBTC-lightning']).toBe(1);
});

test.concurrent('G4/G5: KDF restarted right after reporting Ok: the outcome is that Ok, not a re-init', async () => {
  const { simulator, handle } = await startThrough('tBTC-lightning', 100, {
    kind: 'restart-after-reply',
    method: STATUS,
    resultStatus: 'Ok',
    count: 1,
  });
  const { report } = await ending(handle);
  expect(report).toMatchObject({ outcome: 'enabled', address: expect.stringMatching(/^[0-9a-f]{66}$/) });
  const stats = simulator.stats();
  expect(stats.restarts).toBe(1);
  expect(stats.calls[INIT] ?? 0).toBe(0); // counters restart with the process: no init since
});

test.concurrent(
  'G4/G5: KDF restarted right after reporting Ok, and the read that checks it failed: that Ok stands, no re-init',
  async () => {
    const { id: node, simulator } = await stack.addNode({ phaseMs: 500 });
    const handle = await stack.start({
      node,
      ticker: 'tBTC-lightning',
      activationParams: defaultActivation,
      poll: fastPoll,
    });
    await eventually(
      () => simulator.stats(),
      (stats) => (stats.calls[INIT] ?? 0) >= 1
    );
    // preflight is over: the next get_enabled_coins is the one that checks the Ok
    simulator.injectFault({ kind: 'restart-after-reply', method: STATUS, resultStatus: 'Ok', count: 1 });
    simulator.injectFault({ kind: 'http503', method: 'get_enabled_coins', count: 1 });
    const { report } = await ending(handle);
    expect(report).toMatchObject({ outcome: 'enabled', address: expect.stringMatching(/^[0-9a-f]{66}$/) });
    const stats = simulator.stats();
    expect(stats.restarts).toBe(1);
    expect(stats.calls[INIT] ?? 0).toBe(0); // counters restart with the process: no init since
  }
);

test.concurrent(
  'G4/G5: KDF restarted right after reporting Error: the outcome is that Error, not a re-init',
  async () => {
    const { simulator, handle } = await startThrough('tBTC-lightning-port-in-use', 50, {
      kind: 'restart-after-reply',
      method: STATUS,
      resultStatus: 'Error',
      count: 1,
    });
    const { report, type } = await ending(handle);
    expect(type).toBe('Internal');
    expect(report.outcome).toBe('failed');
    expect(simulator.stats().calls[INIT] ?? 0).toBe(0);
  }
);

test('every history of this file, compensation workflows included, replays against the current workflow code', async () => {
  const ids = [...new Set([...stack.workflowIds, ...compensationIds])];
  const histories = await Promise.all(
    ids.map(async (workflowId) => ({ workflowId, history: await stack.history(workflowId) }))
  );
  expect(compensationIds.length).toBeGreaterThanOrEqual(2);
  expect(await replayFailures(histories)).toEqual([]);
  recordHistoriesIfAsked('guarantees', histories);
});
