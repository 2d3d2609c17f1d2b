// G6: a fleet run makes every pair enabled now. Real Temporal server, simulated KDF nodes restarted through
// `POST /__sim/restart` (KDF keeps enabled coins in memory only). Each case has its own nodes and fleet and mostly
// waits: they run at once; the last test replays every run once all have ended.
import { randomUUID } from 'node:crypto';
import type { temporal } from '@temporalio/proto';
import { ADMIN_HEADERS, type RunningSimulator, type Scenario } from '../../simulator/index.js';
import { fleetWorkflowId, type FleetInput, type FleetProgress } from '../../workflows/api.js';
import { enableFleet } from '../../workflows/index.js';
import { EnablementStack } from '../helpers/enablement-stack.js';
import { recordHistoriesIfAsked, replayFailures, type NamedHistory } from '../helpers/histories.js';

const GET_ENABLED_COINS = 'get_enabled_coins';
const poll = { initialIntervalMs: 50, maxIntervalMs: 200, backoffCoefficient: 1.5 };

const scenario: Scenario = {
  coins: [
    { ticker: 'tBTC-segwit', protocol: 'UTXO', enabled: true },
    ...['ln-a', 'ln-b'].map((ticker) => ({
      ticker,
      protocol: 'LIGHTNING' as const,
      platform: 'tBTC-segwit',
      activation: { phaseMs: 20, registerBeforeOkMs: 0 },
    })),
    {
      ticker: 'ln-slow',
      protocol: 'LIGHTNING',
      platform: 'tBTC-segwit',
      activation: { phaseMs: 400, registerBeforeOkMs: 0 },
    },
  ],
};
const TICKERS = [
  { ticker: 'ln-a', activationParams: { listening_port: 10_001 } },
  { ticker: 'ln-b', activationParams: { listening_port: 10_002 } },
];

let stack: EnablementStack;
/** Every fleet run of this file: replayed (and recorded as fixtures when asked) at the end. */
const fleetRuns: NamedHistory[] = [];

beforeAll(async () => {
  stack = await EnablementStack.start();
});

afterAll(async () => {
  await stack?.teardown();
});

async function runFleet(input: FleetInput): Promise<FleetProgress> {
  const handle = await stack.client.workflow.start(enableFleet, {
    args: [input],
    taskQueue: stack.taskQueue,
    workflowId: fleetWorkflowId(input.fleetId),
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
  });
  const summary = await handle.result();
  for (const run of await runsOf(handle.workflowId, handle.firstExecutionRunId)) fleetRuns.push(run);
  return summary;
}

/** The runs of one fleet execution, first to last (following continue-as-new). */
async function runsOf(workflowId: string, firstRunId: string): Promise<NamedHistory[]> {
  const runs: NamedHistory[] = [];
  for (let runId: string | undefined = firstRunId; runId;) {
    const history: temporal.api.history.v1.IHistory = await stack.client.workflow
      .getHandle(workflowId, runId)
      .fetchHistory();
    runs.push({ workflowId: `${workflowId}-run-${runs.length}`, history });
    runId = history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  return runs;
}

async function simPost(simulator: RunningSimulator, path: string): Promise<void> {
  const response = await fetch(new URL(path, simulator.url), { method: 'POST', headers: ADMIN_HEADERS });
  expect(response.status).toBe(200);
}

test.concurrent(
  'a re-run enables exactly the pairs a KDF restart dropped; the others cost one get_enabled_coins per node',
  async () => {
    const nodes = await Promise.all(Array.from({ length: 5 }, () => stack.addNode({ scenario })));
    const input: FleetInput = {
      fleetId: `converge-${randomUUID().slice(0, 8)}`,
      defaults: { tickers: TICKERS, activationParams: {}, platformCoin: 'tBTC-segwit', poll },
      nodes: nodes.map(({ id }) => ({ node: id })),
    };
    const first = await runFleet(input);
    expect(first.counts).toEqual({
      enabled: 10,
      enabledNow: 10,
      alreadyEnabled: 0,
      reEnabled: 0,
      drifted: 0,
      failed: 0,
      cancelled: 0,
      timed_out: 0,
    });

    const [restarted, kept] = [nodes.slice(0, 2), nodes.slice(2)];
    for (const { simulator } of restarted) await simPost(simulator, '__sim/restart');
    for (const { simulator } of kept) await simPost(simulator, '__sim/stats/reset');
    for (const { simulator } of restarted) expect(simulator.stats().restarts).toBe(1);

    const again = await runFleet(input);
    expect(again).toMatchObject({ total: 10, started: 10, running: 0, failures: [] });
    expect(again.counts).toEqual({
      enabled: 10,
      enabledNow: 0,
      alreadyEnabled: 6,
      reEnabled: 4,
      drifted: 4,
      failed: 0,
      cancelled: 0,
      timed_out: 0,
    });
    // a restarted node: its two pairs get an init each; a kept node: one get_enabled_coins, nothing else
    for (const { simulator } of restarted) {
      expect(simulator.stats().initCallsByTicker).toEqual({ 'ln-a': 1, 'ln-b': 1 });
    }
    for (const { simulator } of kept) expect(simulator.stats().calls).toEqual({ [GET_ENABLED_COINS]: 1 });

    // converged: a third run starts nothing anywhere
    for (const { simulator } of nodes) await simPost(simulator, '__sim/stats/reset');
    const third = await runFleet(input);
    expect(third.counts).toMatchObject({ enabled: 10, alreadyEnabled: 10, drifted: 0, reEnabled: 0 });
    for (const { simulator } of nodes) expect(simulator.stats().calls).toEqual({ [GET_ENABLED_COINS]: 1 });
  },
  120_000
);

test.concurrent(
  'a failed pair is retried and a running enablement is joined, not started twice',
  async () => {
    const { id: node, simulator } = await stack.addNode({ scenario });
    // started outside the fleet (the CLI, say) and still running when the fleet reaches it
    const outside = await stack.start({
      node,
      ticker: 'ln-slow',
      activationParams: { name: 'outside', listening_port: 10_003 },
      poll,
    });
    const input: FleetInput = {
      fleetId: `join-${randomUUID().slice(0, 8)}`,
      defaults: { activationParams: {}, poll },
      nodes: [
        {
          node,
          tickers: [
            { ticker: 'ln-slow', activationParams: { listening_port: 10_003 } },
            // not a coin of this node: fails each time, and each re-run tries it again
            { ticker: 'ln-missing', activationParams: { listening_port: 10_004 } },
          ],
        },
      ],
    };
    const summary = await runFleet(input);
    expect(summary.counts).toMatchObject({ enabled: 1, enabledNow: 1, failed: 1 });
    expect((await outside.result()).outcome).toBe('enabled');
    expect(simulator.stats().initCallsByTicker).toMatchObject({ 'ln-slow': 1 });
    const failedInits = simulator.stats().initCallsByTicker['ln-missing'] ?? 0;

    const again = await runFleet(input);
    expect(again.counts).toMatchObject({ enabled: 1, alreadyEnabled: 1, failed: 1 });
    expect(simulator.stats().initCallsByTicker['ln-slow']).toBe(1);
    expect(simulator.stats().initCallsByTicker['ln-missing'] ?? 0).toBe(failedInits + 1);
  },
  120_000
);

/**
 * A fleet of 3 nodes × (ln-slow, ln-a, ln-b) with a budget of 3 starts per run: the slow ticker first, so that it
 * is still running when the first run's budget is spent. Resolves with its nodes, summary and runs.
 */
async function runSlowFirstFleet(label: string, bounds: { concurrency: number; perNodeConcurrency: number }) {
  const nodes = await Promise.all(Array.from({ length: 3 }, () => stack.addNode({ scenario })));
  const input: FleetInput = {
    fleetId: `${label}-${randomUUID().slice(0, 8)}`,
    defaults: {
      tickers: [{ ticker: 'ln-slow', activationParams: { listening_port: 10_003 } }, ...TICKERS],
      activationParams: {},
      poll,
    },
    nodes: nodes.map(({ id }) => ({ node: id })),
    ...bounds,
    startsPerRun: 3,
  };
  const handle = await stack.client.workflow.start(enableFleet, {
    args: [input],
    taskQueue: stack.taskQueue,
    workflowId: fleetWorkflowId(input.fleetId),
  });
  const summary = await handle.result();
  const runs = await runsOf(handle.workflowId, handle.firstExecutionRunId);
  fleetRuns.push(...runs);
  return { nodes, summary, runs };
}

/** The input a run continued as new with, or undefined for the last run. */
function continuedInput(run: NamedHistory): FleetInput | undefined {
  const continued = run.history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes;
  if (!continued) return undefined;
  return JSON.parse(Buffer.from(continued.input!.payloads![0]!.data!).toString()) as FleetInput;
}

test.concurrent(
  'a run continues as new with what is left, handing its running members to the next run',
  async () => {
    const { nodes, summary, runs } = await runSlowFirstFleet('carry', { concurrency: 4, perNodeConcurrency: 2 });
    expect(summary).toMatchObject({ total: 9, started: 9, running: 0, counts: { enabled: 9, enabledNow: 9 } });
    expect(summary.runs).toBe(runs.length);
    expect(runs.length).toBeGreaterThanOrEqual(3);

    const [firstRun, secondRun] = runs as [NamedHistory, NamedHistory];
    const eventsOf = (run: NamedHistory) => run.history.events ?? [];
    // the first run ended while members it started still ran, and handed on only what was left
    const count = (run: NamedHistory, key: keyof temporal.api.history.v1.IHistoryEvent) =>
      eventsOf(run).filter((event) => event[key]).length;
    expect(count(firstRun, 'childWorkflowExecutionStartedEventAttributes')).toBeGreaterThan(
      count(firstRun, 'childWorkflowExecutionCompletedEventAttributes')
    );
    const next = continuedInput(firstRun);
    expect(next?.carried?.running.length).toBeGreaterThan(0);
    expect(next?.carried?.reached).toBe(3);
    const followed = eventsOf(secondRun).filter(
      (event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'awaitEnablement'
    );
    expect(followed.length).toBeGreaterThan(0);
    for (const { simulator } of nodes) {
      expect(simulator.stats().initCallsByTicker).toEqual({ 'ln-slow': 1, 'ln-a': 1, 'ln-b': 1 });
      expect(simulator.stats().maxActiveTasks).toBeLessThanOrEqual(2);
    }
  },
  120_000
);

test.concurrent(
  'members a run only follows do not spend its budget: the next run starts a full budget of new pairs',
  async () => {
    const { summary, runs } = await runSlowFirstFleet('budget', { concurrency: 9, perNodeConcurrency: 3 });
    expect(summary).toMatchObject({ total: 9, running: 0, counts: { enabled: 9 } });
    const starts = runs.map(
      (run) =>
        (run.history.events ?? []).filter((event) => event.startChildWorkflowExecutionInitiatedEventAttributes).length
    );
    // the first run hands on its slow member; the second still starts three new pairs (it started one before)
    expect(continuedInput(runs[0]!)?.carried?.running.length).toBeGreaterThan(0);
    expect(starts.slice(0, 3)).toEqual([3, 3, 3]);
  },
  120_000
);

test('every fleet run of this file replays against the current workflow code', async () => {
  expect(fleetRuns.length).toBeGreaterThanOrEqual(8);
  expect(await replayFailures(fleetRuns)).toEqual([]);
  recordHistoriesIfAsked('fleet-converge', fleetRuns);
});
