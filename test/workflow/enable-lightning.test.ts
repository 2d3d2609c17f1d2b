import { CancelledFailure, defaultPayloadConverter } from '@temporalio/common';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import {
  LIGHTNING_PHASES,
  MAX_CANCEL_TEXT,
  REPORT_MEMO_KEY,
  cancelSignal,
  progressQuery,
  type EnablementReport,
} from '../../workflows/api.js';
import { createKdfClient } from '../../activities/kdf/index.js';
import type { Fault } from '../../simulator/index.js';
import { liveProgress, taskStarted as taskKnown } from '../helpers/live-progress.js';
import { committedHistories, recordHistoriesIfAsked, replayFailures } from '../helpers/histories.js';
import { EnablementStack, TEST_USERPASS, defaultActivation, eventually } from '../helpers/enablement-stack.js';
import { historyText, secretFindings } from '../helpers/secret-scan.js';

const INIT = 'task::enable_lightning::init';
const STATUS = 'task::enable_lightning::status';
const CANCEL = 'task::enable_lightning::cancel';
const fastPoll = { initialIntervalMs: 100, maxIntervalMs: 500, backoffCoefficient: 1.5 };
/** Polls faster than the 300 ms phases, so that polling alone sees every one. */
const everyPhasePoll = { initialIntervalMs: 100, maxIntervalMs: 100, backoffCoefficient: 1 };

let stack: EnablementStack;

beforeAll(async () => {
  stack = await EnablementStack.start();
});

afterAll(async () => {
  await stack?.teardown();
});

/** The failure that ended a workflow, with the report it carries. */
async function failureOf(promise: Promise<unknown>): Promise<{ type: string | undefined; report: EnablementReport }> {
  const error = await promise.then(
    () => {
      throw new Error('expected the workflow to fail');
    },
    (e: unknown) => e
  );
  expect(error).toBeInstanceOf(WorkflowFailedError);
  const cause = (error as WorkflowFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  const failure = cause as ApplicationFailure;
  return { type: failure.type ?? undefined, report: failure.details?.[0] as EnablementReport };
}

async function historyEvents(workflowId: string) {
  return (await stack.history(workflowId)).events ?? [];
}

/** tBTC-lightning started (fast polling) on a new node with `phaseMs` phases, after the `faults` are injected. */
async function startedDespite(phaseMs: number, ...faults: Fault[]) {
  const { id: node, simulator } = await stack.addNode({ phaseMs });
  for (const fault of faults) simulator.injectFault(fault);
  const handle = await stack.start({
    node,
    ticker: 'tBTC-lightning',
    activationParams: defaultActivation,
    poll: fastPoll,
  });
  return { handle, simulator };
}

/** tBTC-lightning enabled (fast polling) on a new node with `phaseMs` phases, through the `faults` injected first. */
async function enabledDespite(phaseMs: number, ...faults: Fault[]) {
  const started = await startedDespite(phaseMs, ...faults);
  expect(await started.handle.result()).toMatchObject({ outcome: 'enabled' });
  return started;
}

const live = (handle: { workflowId: string }) => liveProgress(stack.client, handle);
const taskStarted = (handle: { workflowId: string }) => taskKnown(stack.client, handle);

/** An enablement stuck in its first phase, once the workflow has started its task. */
async function startHangingEnablement(poll = fastPoll) {
  const { id: node, simulator } = await stack.addNode();
  const handle = await stack.start({ node, ticker: 'tBTC-lightning-hang', activationParams: defaultActivation, poll });
  const progress = await taskStarted(handle);
  return { node, simulator, handle, progress };
}

test('happy path: every phase observed, address and balance reported, history bounded', async () => {
  const { id: node, simulator } = await stack.addNode({ phaseMs: 300 });
  const handle = await stack.start({
    node,
    ticker: 'tBTC-lightning',
    activationParams: defaultActivation,
    poll: everyPhasePoll,
  });

  const report = await handle.result();
  expect(report).toMatchObject({
    outcome: 'enabled',
    node,
    ticker: 'tBTC-lightning',
    alreadyEnabled: false,
    platformCoin: 'tBTC-segwit',
    balance: { spendable: expect.any(String), unspendable: expect.any(String) },
  });
  expect(report.address).toMatch(/^[0-9a-f]{66}$/);
  expect(report.phases.map((p) => p.phase)).toEqual([...LIGHTNING_PHASES]);
  expect(Object.keys(report.durations)).toEqual([...LIGHTNING_PHASES]);

  const progress = await handle.query(progressQuery);
  expect(progress).toMatchObject({ outcome: 'enabled', taskId: report.taskId });
  expect(progress.phases.map((p) => p.phase)).toEqual([...LIGHTNING_PHASES]);

  const stats = simulator.stats();
  expect(stats.calls[INIT]).toBe(1);
  // one activity (preflight, init, the poll to the task's end), the outcome's search attribute, two workflow tasks
  const events = await historyEvents(handle.workflowId);
  const workflowTasks = events.filter((event) => event.workflowTaskCompletedEventAttributes).length;
  expect(events.length).toBeLessThanOrEqual(15);
  expect(workflowTasks).toBeLessThanOrEqual(3);
  console.info(
    `happy path: ${events.length} history events, ${workflowTasks} workflow tasks, ${stats.calls[STATUS]} status calls`
  );
});

test('a ticker already enabled succeeds without an init call', async () => {
  const { id: node, simulator } = await stack.addNode({ phaseMs: 20 });
  const input = { node, ticker: 'tBTC-lightning', activationParams: defaultActivation, poll: fastPoll };
  await (await stack.start(input)).result();
  const again = await (await stack.start(input)).result();
  expect(again).toMatchObject({ outcome: 'enabled', alreadyEnabled: true, taskId: null });
  expect(simulator.stats().calls[INIT]).toBe(1);
});

test.each([
  ['tBTC-lightning-no-platform', 'PlatformCoinIsNotActivated'],
  ['tBTC-lightning-unknown', 'L2ConfigIsNotFound'],
  ['tBTC-segwit-disabled', 'UnexpectedL2Protocol'],
  ['tBTC-lightning-bad-platform', 'InvalidPlatformConfiguration'],
])('%s fails fast with %s and is not retried', async (ticker, errorType) => {
  const { id: node, simulator } = await stack.addNode();
  const handle = await stack.start({ node, ticker, activationParams: defaultActivation });
  const { type, report } = await failureOf(handle.result());
  expect(type).toBe(errorType);
  expect(report).toMatchObject({ outcome: 'failed', node, ticker, taskId: null, error: { type: errorType } });
  expect(simulator.stats().calls[INIT]).toBe(1);
});

test('preflight refuses a named platform coin that is not enabled, before any init', async () => {
  const { id: node, simulator } = await stack.addNode();
  const handle = await stack.start({
    node,
    ticker: 'tBTC-lightning',
    platformCoin: 'tBTC-not-enabled',
    activationParams: defaultActivation,
  });
  const { type } = await failureOf(handle.result());
  expect(type).toBe('PlatformCoinIsNotActivated');
  expect(simulator.stats().calls[INIT] ?? 0).toBe(0);
});

test('a task that ends in Error fails with the KDF error type and details', async () => {
  const { id: node } = await stack.addNode({ phaseMs: 50 });
  const handle = await stack.start({
    node,
    ticker: 'tBTC-lightning-port-in-use',
    activationParams: defaultActivation,
    poll: fastPoll,
  });
  const { type, report } = await failureOf(handle.result());
  expect(type).toBe('Internal');
  expect(report.outcome).toBe('failed');
  expect(report.error?.message).toMatch(/Address already in use/);
  expect(report.taskId).not.toBeNull();
});

test('the deadline cancels the KDF task once and ends timed_out', async () => {
  const { id: node, simulator } = await stack.addNode();
  const handle = await stack.start({
    node,
    ticker: 'tBTC-lightning-hang',
    activationParams: defaultActivation,
    timeoutMs: 2_000,
    poll: fastPoll,
  });
  const { type, report } = await failureOf(handle.result());
  expect(type).toBe('EnablementTimedOut');
  expect(report).toMatchObject({ outcome: 'timed_out', compensation: { result: 'cancelled' } });
  const stats = simulator.stats();
  expect(stats.calls[CANCEL]).toBe(1);
  expect(stats.cancelledTasks).toBe(1);
  expect(stats.activeTasks).toBe(0);
});

/** A cancellation as `kdf-lightning cancel` sends it: the reason first, then Temporal cancellation. */
async function opsCancel(handle: WorkflowHandle, reason: string, by: string) {
  await handle.signal(cancelSignal, reason, by);
  await handle.cancel();
}

/** The report a cancelled workflow leaves in its memo, once it has ended Canceled. */
async function cancelledReport(handle: Awaited<ReturnType<typeof stack.start>>): Promise<EnablementReport> {
  const error = await handle.result().catch((e: unknown) => e);
  expect(error).toBeInstanceOf(WorkflowFailedError);
  expect((error as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
  const description = await handle.describe();
  expect(description.status.name).toBe('CANCELLED');
  return description.memo?.[REPORT_MEMO_KEY] as EnablementReport;
}

test('an ops cancel ends Canceled, cancels the KDF task and reports reason and requester', async () => {
  const { simulator, handle } = await startHangingEnablement();
  await opsCancel(handle, 'node maintenance', 'alice');
  expect(await cancelledReport(handle)).toMatchObject({
    outcome: 'cancelled',
    cancel: { reason: 'node maintenance', requestedBy: 'alice' },
    compensation: { result: 'cancelled' },
  });
  expect(simulator.stats().cancelledTasks).toBe(1);
});

test('the cancel signal alone records why but stops nothing', async () => {
  const { simulator, handle } = await startHangingEnablement();
  // a signal sent around the CLI (which refuses more than 500 characters) is kept cut at 500
  const note = `just a note${'.'.repeat(2_000)}`;
  await handle.signal(cancelSignal, note, 'carol');
  await eventually(
    () => handle.query(progressQuery),
    (p) => p.cancel?.requestedBy === 'carol'
  );
  expect((await handle.describe()).status.name).toBe('RUNNING');
  expect(simulator.stats().cancelledTasks).toBe(0);
  await handle.cancel();
  expect(await cancelledReport(handle)).toMatchObject({
    cancel: { reason: note.slice(0, MAX_CANCEL_TEXT), requestedBy: 'carol' },
  });
});

test('a Temporal cancellation alone (the UI) takes the same path', async () => {
  const { simulator, handle } = await startHangingEnablement();
  await handle.cancel();
  expect(await cancelledReport(handle)).toMatchObject({
    outcome: 'cancelled',
    cancel: { requestedBy: 'unknown' },
    compensation: { result: 'cancelled' },
  });
  expect(simulator.stats().cancelledTasks).toBe(1);
});

test('a cancel that comes after the task enabled the coin reports it enabled, and sends no cancel', async () => {
  // the cancel reaches the activity at its next follow heartbeat (at most 10 s), always before a 60 s poll reads Ok
  const slowPoll = { initialIntervalMs: 60_000, maxIntervalMs: 60_000, backoffCoefficient: 1 };
  const { simulator, handle, progress } = await startHangingEnablement(slowPoll);
  simulator.finishTask(progress.taskId as number, 'ok');
  await opsCancel(handle, 'too slow', 'bob');
  const report = await handle.result();
  expect(report).toMatchObject({ outcome: 'enabled', compensation: { result: 'skipped' } });
  expect(report.address).toMatch(/^[0-9a-f]{66}$/);
  expect(simulator.stats().calls[CANCEL] ?? 0).toBe(0);
});

test('a lost init response ends enabled, by the task it started or by a second one, never both', async () => {
  const { handle, simulator } = await enabledDespite(50, { kind: 'drop-after-handling', method: INIT, count: 1 });
  expect((await handle.result()).initsInDoubt).toBe(1);
  expect(simulator.stats().okTasksByTicker['tBTC-lightning']).toBe(1);
});

test('a KDF restart mid-activation is reconciled with one bounded re-init', async () => {
  const { handle, simulator } = await startedDespite(300);
  await taskStarted(handle);
  simulator.restart();
  const report = await handle.result();
  expect(report.outcome).toBe('enabled');
  expect(simulator.stats().calls[INIT]).toBe(1); // counters restart with the node; the re-init is the only one since
  const progress = await handle.query(progressQuery);
  expect(progress.lastError?.type).toBe('KdfTaskLost');
});

test('a KDF restart after the workflow recorded a phase: the new task is followed from its own first phase', async () => {
  const { handle, simulator } = await startedDespite(1_000);
  await taskStarted(handle);
  await new Promise((resolve) => setTimeout(resolve, 2_500));
  // a status read that fails brings the phases seen so far (the third by now) to the workflow
  simulator.injectFault({ kind: 'http503', method: STATUS, count: 1 });
  await eventually(
    () => handle.query(progressQuery),
    (p) => p.lastError !== undefined && p.phases.length > 1
  );
  simulator.restart();
  const report = await handle.result();
  expect(report.outcome).toBe('enabled');
  expect(simulator.stats().calls[INIT]).toBe(1); // counters restart with the node: one init since, no task taken as lost
});

test('a task id that a restarted KDF gave to another ticker is not taken for this one', async () => {
  const { id: node, simulator } = await stack.addNode({ phaseMs: 50 });
  const slowPoll = { initialIntervalMs: 2_000, maxIntervalMs: 2_000, backoffCoefficient: 1 };
  const handle = await stack.start({
    node,
    ticker: 'tBTC-lightning-hang',
    activationParams: defaultActivation,
    poll: slowPoll,
  });
  const { taskId } = await taskStarted(handle);
  simulator.restart();
  // the restarted node numbers tasks from 0 again: another ticker's activation gets this enablement's id, ends Ok
  const other = await createKdfClient(stack.nodes.get(node)!).initLightning({
    ticker: 'tBTC-lightning',
    activation_params: { ...defaultActivation, listening_port: 9736 },
  });
  expect(other.task_id).toBe(taskId);

  const progress = await eventually(
    () => live(handle),
    // the loss is noted before the new task's activity returns; its heartbeat names the new task
    (p) => p.lastError?.type === 'KdfTaskLost' && p.taskId !== taskId,
    30_000
  );
  expect(progress.taskId).not.toBeNull();
  simulator.finishTask(progress.taskId!, 'ok');
  expect(await handle.result()).toMatchObject({ outcome: 'enabled', taskId: progress.taskId });
});

test('transient faults while polling are retried and the enablement still completes', async () => {
  const { handle, simulator } = await enabledDespite(
    200,
    { kind: 'http502', method: STATUS, count: 1 },
    { kind: 'reset', method: STATUS, count: 1 },
    { kind: 'latency', method: STATUS, latencyMs: 200, count: 3 }
  );
  const progress = await handle.query(progressQuery);
  expect(progress.retries).toBe(2);
  expect(progress.lastError?.type).toBe('KdfTransportError');
  expect(simulator.stats().calls[INIT]).toBe(1);
});

test('retries of the start are counted too', async () => {
  const { handle, simulator } = await enabledDespite(100, {
    kind: 'http503',
    method: 'get_enabled_coins',
    count: 2,
  });
  expect((await handle.query(progressQuery)).retries).toBe(2);
  expect(simulator.stats().calls[INIT]).toBe(1);
});

test('history size depends on the number of phases, not on how long they take', async () => {
  const { id: node } = await stack.addNode();
  const events = async (timeoutMs: number, ticker: string) => {
    const handle = await stack.start({ node, ticker, activationParams: defaultActivation, timeoutMs, poll: fastPoll });
    await handle.result().catch(() => undefined);
    return (await historyEvents(handle.workflowId)).length;
  };
  const short = await events(5_000, 'tBTC-lightning-hang');
  const long = await events(12_000, 'tBTC-lightning-hang-2');
  console.info(`history events: ${short} for a 5 s activation, ${long} for a 12 s one`);
  // what may differ: whether the cancelled poll reports back before the workflow closes (its completion plus
  // one workflow task the server rejects because that completion arrived meanwhile)
  expect(Math.abs(long - short)).toBeLessThanOrEqual(6);
});

test('no history of these enablements contains the userpass, payloads decoded', async () => {
  expect(stack.workflowIds.length).toBeGreaterThan(10);
  for (const workflowId of new Set(stack.workflowIds)) {
    const text = historyText(await stack.history(workflowId));
    expect({ workflowId, found: secretFindings(text, TEST_USERPASS) }).toEqual({ workflowId, found: [] });
  }
  // the scan can fail: the userpass planted inside a heartbeat payload of a real history is found
  const [first] = stack.workflowIds;
  const planted = await stack.history(first as string);
  const payload = defaultPayloadConverter.toPayload({ progress: `userpass ${TEST_USERPASS}` });
  planted.events?.push({ activityTaskStartedEventAttributes: { lastFailure: { encodedAttributes: payload } } });
  expect(JSON.stringify(planted)).not.toContain(TEST_USERPASS);
  expect(secretFindings(historyText(planted), TEST_USERPASS)).not.toEqual([]);
});

test('every history of this run replays against the current workflow code', async () => {
  const histories = await Promise.all(
    [...new Set(stack.workflowIds)].map(async (workflowId) => ({
      workflowId,
      history: await stack.history(workflowId),
    }))
  );
  expect(await replayFailures(histories)).toEqual([]);
  expect(histories.length).toBeGreaterThan(10);
  recordHistoriesIfAsked('enable-lightning', histories);
});

test('the committed histories of every workflow version still replay', async () => {
  const histories = committedHistories();
  expect(histories.length).toBeGreaterThanOrEqual(10);
  expect(await replayFailures(histories)).toEqual([]);
});
