// A large fleet: continue-as-new keeps every run's history and every payload small. 100 nodes × 20 tickers by
// default (2,000 pairs: at least two runs of the default 1,000 starts each, ~80 s); KDF_FLEET_SCALE_TICKERS=200 runs
// the 20,000-pair fleet of issue #16 (1,971 s on 2 cores under load).
import { randomUUID } from 'node:crypto';
import type { temporal } from '@temporalio/proto';
import type { Scenario } from '../../simulator/index.js';
import { fleetWorkflowId, type FleetInput } from '../../workflows/api.js';
import { enableFleet } from '../../workflows/index.js';
import { EnablementStack } from '../helpers/enablement-stack.js';

const NODES = 100;
const TICKERS_PER_NODE = Number(process.env.KDF_FLEET_SCALE_TICKERS ?? 20);
/** About twice the time measured per pair (80 s for 2,000 pairs, 1,971 s for 20,000 under load). */
const TIMEOUT_MS = Math.max(200_000, NODES * TICKERS_PER_NODE * 160);
const PER_NODE = 4;
const MAX_EVENTS_PER_RUN = 10_000;
const MAX_PAYLOAD_BYTES = 1_000_000;

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

/** The largest Payloads message (input, result, heartbeat, memo…) anywhere in a history, in bytes. */
function largestPayload(value: unknown): number {
  if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value)) return 0;
  let largest = 0;
  const { payloads } = value as { payloads?: unknown };
  if (Array.isArray(payloads)) {
    const size = payloads.reduce((sum: number, payload: temporal.api.common.v1.IPayload) => {
      return sum + (payload.data?.length ?? 0);
    }, 0);
    largest = size;
  }
  for (const child of Object.values(value)) largest = Math.max(largest, largestPayload(child));
  return largest;
}

test(
  `a fleet of ${NODES * TICKERS_PER_NODE} pairs on ${NODES} nodes: no run over 10,000 events, no payload over 1 MB`,
  async () => {
    const nodes = await Promise.all(Array.from({ length: NODES }, () => stack.addNode({ scenario: quickScenario })));
    const total = NODES * TICKERS_PER_NODE;
    const fleetId = `scale-${randomUUID().slice(0, 8)}`;
    const input: FleetInput = {
      fleetId,
      defaults: {
        // shared by every node: the input is one ticker list and the node ids, not one entry per pair
        tickers: Array.from({ length: TICKERS_PER_NODE }, (_, i) => ({
          ticker: `ln-${i}`,
          activationParams: { listening_port: 20_000 + i },
        })),
        activationParams: {},
        poll: { initialIntervalMs: 50, maxIntervalMs: 200, backoffCoefficient: 1.5 },
      },
      nodes: nodes.map(({ id }) => ({ node: id })),
      concurrency: 200,
      perNodeConcurrency: PER_NODE,
    };
    const started = Date.now();
    const handle = await stack.client.workflow.start(enableFleet, {
      args: [input],
      taskQueue: stack.taskQueue,
      workflowId: fleetWorkflowId(fleetId),
    });
    const summary = await handle.result();
    const elapsedS = (Date.now() - started) / 1000;
    expect(summary).toMatchObject({ total, started: total, running: 0, counts: { enabled: total, failed: 0 } });
    expect(summary.runs).toBeGreaterThanOrEqual(Math.ceil(total / 1_000));

    const runLengths: number[] = [];
    let payloadMax = 0;
    for (let runId: string | undefined = handle.firstExecutionRunId; runId;) {
      const history = await stack.client.workflow.getHandle(handle.workflowId, runId).fetchHistory();
      runLengths.push(history.events?.length ?? 0);
      payloadMax = Math.max(payloadMax, largestPayload(history));
      runId = history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
    }
    expect(runLengths).toHaveLength(summary.runs);
    expect(Math.max(...runLengths)).toBeLessThanOrEqual(MAX_EVENTS_PER_RUN);
    expect(payloadMax).toBeLessThanOrEqual(MAX_PAYLOAD_BYTES);
    for (const { simulator } of nodes) expect(simulator.stats().maxActiveTasks).toBeLessThanOrEqual(PER_NODE);
    console.info(
      `${total}-pair fleet on ${NODES} nodes: ${elapsedS.toFixed(0)} s, ${summary.runs} runs, ` +
        `max ${Math.max(...runLengths)} events per run, largest payload ${payloadMax} bytes`
    );
  },
  TIMEOUT_MS
);
