import { randomUUID } from 'node:crypto';
import type { Scenario } from '../../simulator/index.js';
import { fleetNodesOf, fleetWorkflowId, type FleetMember } from '../../workflows/api.js';
import { enableFleet } from '../../workflows/index.js';
import { EnablementStack } from '../helpers/enablement-stack.js';

const NODES = 50;
const TICKERS_PER_NODE = 100;
const MAX_EVENTS_PER_RUN = 10_000;

/** Lightning coins that activate almost at once, so the fleet's own bookkeeping is what is measured. */
const quickScenario: Scenario = {
  coins: [
    { ticker: 'tBTC-segwit', protocol: 'UTXO', enabled: true },
    ...Array.from({ length: TICKERS_PER_NODE }, (_, i) => ({
      ticker: `ln-${i}`,
      protocol: 'LIGHTNING' as const,
      platform: 'tBTC-segwit',
      activation: { phaseMs: 1, registerBeforeOkMs: 0 },
    })),
  ],
};

let stack: EnablementStack;

beforeAll(async () => {
  stack = await EnablementStack.start();
});

afterAll(async () => {
  await stack?.teardown();
});

test('a fleet of 5,000 pairs completes, continuing as new so that no run exceeds 10,000 events', async () => {
  const nodes = await Promise.all(Array.from({ length: NODES }, () => stack.addNode({ scenario: quickScenario })));
  const members: FleetMember[] = nodes.flatMap(({ id }) =>
    Array.from({ length: TICKERS_PER_NODE }, (_, i) => ({
      node: id,
      ticker: `ln-${i}`,
      activationParams: { listening_port: 20_000 + i },
    }))
  );
  const fleetId = `scale-${randomUUID().slice(0, 8)}`;
  const started = Date.now();
  const handle = await stack.client.workflow.start(enableFleet, {
    args: [
      {
        fleetId,
        defaults: {
          activationParams: {},
          poll: { initialIntervalMs: 50, maxIntervalMs: 200, backoffCoefficient: 1.5 },
        },
        nodes: fleetNodesOf(members),
        concurrency: 200,
        perNodeConcurrency: 4,
      },
    ],
    taskQueue: stack.taskQueue,
    workflowId: fleetWorkflowId(fleetId),
  });
  const summary = await handle.result();
  const elapsedS = (Date.now() - started) / 1000;
  expect(summary).toMatchObject({ total: 5_000, started: 5_000, counts: { enabled: 5_000, failed: 0 } });
  expect(summary.runs).toBeGreaterThanOrEqual(5);

  const runLengths: number[] = [];
  for await (const run of stack.client.workflow.list({ query: `WorkflowId = '${fleetWorkflowId(fleetId)}'` })) {
    const history = await stack.client.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
    runLengths.push(history.events?.length ?? 0);
  }
  expect(runLengths).toHaveLength(summary.runs);
  expect(Math.max(...runLengths)).toBeLessThanOrEqual(MAX_EVENTS_PER_RUN);
  for (const { simulator } of nodes) expect(simulator.stats().maxActiveTasks).toBeLessThanOrEqual(4);
  console.info(
    `5,000-pair fleet: ${elapsedS.toFixed(0)} s, ${summary.runs} runs, events per run ${runLengths.join(', ')}`
  );
}, 1_200_000);
