import { randomUUID } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import { CancelledFailure, WorkflowIdConflictPolicy } from '@temporalio/common';
import type { Scenario } from '../../simulator/index.js';
import {
  fleetCancelSignal,
  fleetNodesOf,
  fleetProgressQuery,
  fleetWorkflowId,
  REPORT_MEMO_KEY,
  type FleetInput,
  type FleetMember,
  type FleetProgress,
} from '../../workflows/api.js';
import { enableFleet } from '../../workflows/index.js';
import { defaultActivation, EnablementStack, eventually } from '../helpers/enablement-stack.js';
import { recordHistoriesIfAsked, replayFailures } from '../helpers/histories.js';

const INIT = 'task::enable_lightning::init';
const poll = { initialIntervalMs: 100, maxIntervalMs: 300, backoffCoefficient: 1.5 };

/** Seven tickers that enable, one that fails (port in use) and two that hang (and so time out). */
const mixedScenario: Scenario = {
  coins: [
    { ticker: 'tBTC-segwit', protocol: 'UTXO', enabled: true },
    ...Array.from({ length: 7 }, (_, i) => ({
      ticker: `ok-${i}`,
      protocol: 'LIGHTNING' as const,
      platform: 'tBTC-segwit',
      activation: { phaseMs: 20, registerBeforeOkMs: 0 },
    })),
    {
      ticker: 'fail-0',
      protocol: 'LIGHTNING',
      platform: 'tBTC-segwit',
      activation: {
        phaseMs: 20,
        outcome: {
          kind: 'error',
          atPhase: 'InitializingPeerManager',
          error: 'I/O error Address already in use (os error 98)',
        },
      },
    },
    ...['hang-0', 'hang-1'].map((ticker) => ({
      ticker,
      protocol: 'LIGHTNING' as const,
      platform: 'tBTC-segwit',
      activation: { outcome: { kind: 'hang' as const } },
    })),
  ],
};
const mixedTickers = mixedScenario.coins.filter((coin) => coin.protocol === 'LIGHTNING').map((coin) => coin.ticker);

/** Lightning coins that never finish: their members run until they are cancelled (or time out). */
const hangTickers = (count: number) => Array.from({ length: count }, (_, i) => `hang-${i}`);
const hangScenario = (count = 4): Scenario => ({
  coins: [
    { ticker: 'tBTC-segwit', protocol: 'UTXO', enabled: true },
    ...hangTickers(count).map((ticker) => ({
      ticker,
      protocol: 'LIGHTNING' as const,
      platform: 'tBTC-segwit',
      activation: { outcome: { kind: 'hang' as const } },
    })),
  ],
});
/** Long enough that a member still running when its test ends was never cancelled. */
const HANG_TIMEOUT_MS = 40_000;
const hangMembers = (node: string, count = 4): FleetMember[] =>
  hangTickers(count).map((ticker, index) => ({
    node,
    ticker,
    activationParams: { listening_port: 10_000 + index },
    timeoutMs: HANG_TIMEOUT_MS,
  }));

let stack: EnablementStack;

beforeAll(async () => {
  stack = await EnablementStack.start();
});

afterAll(async () => {
  await stack?.teardown();
});

/** The fleets of this file: their histories are replayed (and recorded as fixtures when asked) at the end. */
const fleetIds = new Set<string>();

async function startFleet(input: FleetInput) {
  fleetIds.add(fleetWorkflowId(input.fleetId));
  return stack.client.workflow.start(enableFleet, {
    args: [input],
    taskQueue: stack.taskQueue,
    workflowId: fleetWorkflowId(input.fleetId),
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
  });
}

async function nodesWith(count: number, scenario?: Scenario) {
  return Promise.all(Array.from({ length: count }, () => stack.addNode(scenario ? { scenario } : {})));
}

test('200 pairs over 20 nodes finish with exact counts and per-node concurrency respected', async () => {
  const nodes = await nodesWith(20, mixedScenario);
  const members: FleetMember[] = nodes.flatMap(({ id }) =>
    // Lightning coins on one node each need their own listening port, as on a real KDF node.
    mixedTickers.map((ticker, index) => ({
      node: id,
      ticker,
      activationParams: { listening_port: 10_000 + index },
      ...(ticker.startsWith('hang') && { timeoutMs: 1_500 }),
    }))
  );
  const input: FleetInput = {
    fleetId: `mixed-${randomUUID().slice(0, 8)}`,
    defaults: { activationParams: {}, poll },
    nodes: fleetNodesOf(members),
    concurrency: 40,
    perNodeConcurrency: 2,
  };
  const handle = await startFleet(input);
  const summary = await handle.result();
  expect(summary).toMatchObject({
    total: 200,
    started: 200,
    running: 0,
    done: true,
    counts: { enabled: 140, failed: 20, timed_out: 40, cancelled: 0, alreadyEnabled: 0 },
  });
  expect(summary.failures).toHaveLength(60);
  expect(summary.failures.filter((f) => f.type === 'Internal')).toHaveLength(20);
  for (const { simulator } of nodes) {
    expect(simulator.stats().maxActiveTasks).toBeLessThanOrEqual(2);
    expect(simulator.stats().calls[INIT]).toBe(10);
  }
}, 180_000);

test('re-running a finished manifest starts nothing new; re-running a running one attaches', async () => {
  const [{ id: node, simulator }] = (await nodesWith(1)) as [Awaited<ReturnType<EnablementStack['addNode']>>];
  const fleetId = `rerun-${randomUUID().slice(0, 8)}`;
  const input: FleetInput = {
    fleetId,
    defaults: { activationParams: {}, poll },
    nodes: [
      {
        node,
        tickers: [
          { ticker: 'tBTC-lightning' },
          { ticker: 'tBTC-lightning-hang', timeoutMs: 2_000, activationParams: { listening_port: 10_001 } },
        ],
      },
    ],
  };
  const first = await startFleet(input);
  const attached = await startFleet(input);
  expect(attached.firstExecutionRunId).toBe(first.firstExecutionRunId);
  const firstSummary = await first.result();
  expect(firstSummary.counts).toMatchObject({ enabled: 1, timed_out: 1 });
  const initsBefore = simulator.stats().calls[INIT];

  // The enabled pair is not started again; the timed-out one is retried.
  const again = await (await startFleet(input)).result();
  expect(again.counts).toMatchObject({ enabled: 1, timed_out: 1 });
  expect(simulator.stats().initCallsByTicker['tBTC-lightning']).toBe(1);
  expect(simulator.stats().calls[INIT]).toBe((initsBefore ?? 0) + 1);
}, 60_000);

test('cancelling a fleet cancels its running members through their compensation and starts no more', async () => {
  const nodes = await nodesWith(2);
  const members = nodes.flatMap(({ id }) =>
    ['tBTC-lightning-hang', 'tBTC-lightning-hang-2', 'tBTC-lightning-slow'].map((ticker, index) => ({
      node: id,
      ticker,
      activationParams: { listening_port: 10_000 + index },
    }))
  );
  const handle = await startFleet({
    fleetId: `cancel-${randomUUID().slice(0, 8)}`,
    defaults: { activationParams: {}, poll },
    nodes: fleetNodesOf(members),
    concurrency: 10,
    perNodeConcurrency: 2,
  });
  await eventually(
    () => nodes.reduce((sum, { simulator }) => sum + simulator.stats().activeTasks, 0),
    (active) => active === 4
  );
  await handle.signal(fleetCancelSignal, 'bad release', 'ops');
  const summary = await handle.result();
  expect(summary).toMatchObject({
    started: 4,
    total: 6,
    counts: { cancelled: 4, enabled: 0 },
    cancel: { reason: 'bad release' },
  });
  for (const { simulator } of nodes) {
    const stats = simulator.stats();
    expect(stats.calls[INIT]).toBe(2);
    expect(stats.cancelledTasks).toBe(2);
    expect(stats.activeTasks).toBe(0);
  }
  const progress = await handle.query(fleetProgressQuery);
  expect(progress.done).toBe(true);
}, 60_000);

test('a cancel that arrives while members are still being started cancels the running ones', async () => {
  const [{ id: node, simulator }] = (await nodesWith(1, hangScenario())) as [
    Awaited<ReturnType<EnablementStack['addNode']>>,
  ];
  const handle = await startFleet({
    fleetId: `cancel-starting-${randomUUID().slice(0, 8)}`,
    defaults: { activationParams: {}, poll },
    nodes: fleetNodesOf(hangMembers(node)),
    concurrency: 4,
    perNodeConcurrency: 4,
    // one start a second: the cancel arrives between starts, not while the fleet waits for members to end
    startsPerSecond: 1,
  });
  await eventually(
    () => simulator.stats().activeTasks,
    (active) => active >= 2
  );
  await handle.signal(fleetCancelSignal, 'bad release', 'ops');
  const summary = await handle.result();
  expect(summary.started).toBeGreaterThanOrEqual(2);
  expect(summary.counts).toMatchObject({ cancelled: summary.started, timed_out: 0, enabled: 0, failed: 0 });
  const stats = simulator.stats();
  expect(stats.activeTasks).toBe(0);
  expect(stats.cancelledTasks).toBe(stats.calls[INIT]);
}, 60_000);

test('cancelling the fleet workflow cancels its children and the enablements it follows', async () => {
  const [{ id: node, simulator }] = (await nodesWith(1, hangScenario())) as [
    Awaited<ReturnType<EnablementStack['addNode']>>,
  ];
  const members = hangMembers(node);
  // hang-0 was started outside the fleet (the CLI, say): the fleet follows it and, cancelled, cancels it by id
  const outside = await stack.start({
    node,
    ticker: 'hang-0',
    activationParams: { ...defaultActivation, listening_port: 10_000 },
    poll,
    timeoutMs: HANG_TIMEOUT_MS,
  });
  await eventually(
    () => simulator.stats().activeTasks,
    (active) => active === 1
  );
  const handle = await startFleet({
    fleetId: `cancel-temporal-${randomUUID().slice(0, 8)}`,
    defaults: { activationParams: {}, poll },
    nodes: fleetNodesOf(members),
    concurrency: 4,
    perNodeConcurrency: 4,
  });
  await eventually(
    () => simulator.stats().activeTasks,
    (active) => active === members.length
  );
  await handle.cancel();

  const fleetError = await handle.result().catch((error: unknown) => error);
  expect(fleetError).toBeInstanceOf(WorkflowFailedError);
  expect((fleetError as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
  const outsideError = await outside.result().catch((error: unknown) => error);
  expect((outsideError as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
  const report = (await handle.describe()).memo?.[REPORT_MEMO_KEY] as FleetProgress;
  expect(report).toMatchObject({ started: 4, running: 0, done: true, counts: { cancelled: 4, timed_out: 0 } });
  const stats = simulator.stats();
  expect(stats.calls[INIT]).toBe(4);
  expect(stats.cancelledTasks).toBe(4);
  expect(stats.activeTasks).toBe(0);
}, 60_000);

test('cancelling the fleet workflow while member starts are in flight leaves no member running', async () => {
  const nodes = await nodesWith(2, hangScenario(40));
  const activeTasks = () => nodes.reduce((sum, { simulator }) => sum + simulator.stats().activeTasks, 0);
  const fleetId = `cancel-in-flight-${randomUUID().slice(0, 8)}`;
  const handle = await startFleet({
    fleetId,
    defaults: { activationParams: {}, poll },
    nodes: fleetNodesOf(nodes.flatMap(({ id }) => hangMembers(id, 40))),
    concurrency: 80,
    perNodeConcurrency: 40,
  });
  // Cancelled as soon as starts are issued, while most are in flight: a child whose cancel reaches the server before
  // the child exists must still be cancelled (else it would run until it times out).
  await eventually(
    async () => (await handle.query(fleetProgressQuery)).started,
    (started) => started > 0
  );
  await handle.cancel();
  const fleetError = await handle.result().catch((error: unknown) => error);
  expect((fleetError as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
  const report = (await handle.describe()).memo?.[REPORT_MEMO_KEY] as FleetProgress;
  expect(report.started).toBeGreaterThan(0);
  expect(report).toMatchObject({ running: 0, done: true, counts: { cancelled: report.started, timed_out: 0 } });
  const runningMembers = async () =>
    (await stack.client.workflow.count(`KdfFleet = '${fleetId}' AND ExecutionStatus = 'Running'`)).count;
  // visibility lags a little behind the members' ends; an orphan would run for HANG_TIMEOUT_MS
  await eventually(runningMembers, (running) => running === 0, 10_000);
  await eventually(activeTasks, (active) => active === 0);
}, 60_000);

test('every fleet history of this file (cancellations included) replays against the current workflow code', async () => {
  const histories = await Promise.all(
    [...fleetIds].map(async (workflowId) => ({ workflowId, history: await stack.history(workflowId) }))
  );
  expect(histories.length).toBeGreaterThanOrEqual(6);
  expect(await replayFailures(histories)).toEqual([]);
  recordHistoriesIfAsked('enable-fleet', histories);
});
