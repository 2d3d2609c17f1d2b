import type { Scenario } from '../../simulator/index.js';
import { defaultScenario } from '../../simulator/index.js';
import { LIGHTNING_PHASES } from '../../workflows/api.js';
import { EnablementStack, defaultActivation, eventually } from '../helpers/enablement-stack.js';
import { taskStarted } from '../helpers/live-progress.js';

const STATUS = 'task::enable_lightning::status';
const PHASE_MS = 400;
/** KDF with `event_streaming_configuration`: the default tickers, each phase 400 ms. */
const streaming: Scenario = { ...defaultScenario, eventStreaming: true };
/** What polling alone needs to see every 400 ms phase. */
const pollEveryPhase = { initialIntervalMs: 100, maxIntervalMs: 200, backoffCoefficient: 1.2 };

let stack: EnablementStack;

beforeAll(async () => {
  stack = await EnablementStack.start();
});

afterAll(async () => {
  await stack?.teardown();
});

async function enable(options: { eventStream: boolean; poll?: typeof pollEveryPhase }) {
  const { id: node, simulator } = await stack.addNode({
    scenario: streaming,
    phaseMs: PHASE_MS,
    eventStream: options.eventStream,
  });
  const handle = await stack.start({
    node,
    ticker: 'tBTC-lightning',
    activationParams: defaultActivation,
    ...(options.poll && { poll: options.poll }),
  });
  return { node, simulator, handle };
}

test('with the event stream every phase is seen with a fraction of the status calls polling needs', async () => {
  const pushed = await enable({ eventStream: true });
  const report = await pushed.handle.result();
  expect(report.outcome).toBe('enabled');
  expect(report.phases.map((p) => p.phase)).toEqual([...LIGHTNING_PHASES]);
  const pushCalls = pushed.simulator.stats().calls[STATUS] ?? 0;

  const polled = await enable({ eventStream: false, poll: pollEveryPhase });
  expect((await polled.handle.result()).phases.map((p) => p.phase)).toEqual([...LIGHTNING_PHASES]);
  const pollCalls = polled.simulator.stats().calls[STATUS] ?? 0;

  console.info(`status calls for 8 phases of ${PHASE_MS} ms: ${pushCalls} with push, ${pollCalls} polling alone`);
  // pushed phases need no read; the finish is confirmed by one (a read may come before the stream connects)
  expect(pushCalls).toBeLessThanOrEqual(3);
  expect(pushCalls * 4).toBeLessThan(pollCalls);
});

test('a stream dropped and refused mid-activation leaves polling to finish; push resumes when it is back', async () => {
  const { node, simulator, handle } = await enable({ eventStream: true });
  await taskStarted(stack.client, handle);
  simulator.eventStreams.refuse(true);
  simulator.eventStreams.closeAll();
  const sentBefore = simulator.eventStreams.sent();
  expect((await handle.result()).outcome).toBe('enabled');
  expect(simulator.eventStreams.sent()).toBe(sentBefore);

  simulator.eventStreams.refuse(false);
  await eventually(
    () => stack.eventStreams.for(node)?.connected ?? false,
    (connected) => connected,
    15_000
  );
  const again = await stack.start({
    node,
    ticker: 'tBTC-lightning-slow',
    activationParams: { ...defaultActivation, listening_port: 9736 },
  });
  expect((await again.result()).outcome).toBe('enabled');
  expect(simulator.eventStreams.sent()).toBeGreaterThan(sentBefore);
});

test('lost events do not change the outcome', async () => {
  const { simulator, handle } = await enable({ eventStream: true });
  simulator.eventStreams.dropFrames(0.5);
  const report = await handle.result();
  expect(report.outcome).toBe('enabled');
  expect(report.address).toMatch(/^[0-9a-f]{66}$/);
});
