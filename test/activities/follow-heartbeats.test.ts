// Each heartbeat of a following activity is a write on the Temporal server, so `activate` heartbeats on its cadence,
// the task id and an Ok, not on every phase it sees (issue #18: per-phase heartbeats were a third of the server's CPU
// at 10 s phases).
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities/index.js';
import type { ActivateResult } from '../../activities/activate.js';
import { startSimulator, type RunningSimulator } from '../../simulator/index.js';
import { ACTIVATE_ACTIVITY, type PollPolicy } from '../../workflows/api.js';
import { TEST_USERPASS, defaultActivation } from '../helpers/enablement-stack.js';

const simulators: RunningSimulator[] = [];

afterAll(async () => {
  await Promise.all(simulators.map((simulator) => simulator.stop()));
});

/** One `activate` of a fresh task on a node whose 8 phases last `phaseMs`, with its heartbeats and their instants. */
async function activateWithHeartbeats(phaseMs: number, heartbeatTimeoutMs: number, policy: PollPolicy) {
  const simulator = await startSimulator({ userpass: TEST_USERPASS, phaseMs });
  simulators.push(simulator);
  const node = 'hb-node';
  const activities = createActivities({
    nodes: new Map([[node, { id: node, url: simulator.url, userpass: TEST_USERPASS, requestTimeoutMs: 3_000 }]]),
  });
  const environment = new MockActivityEnvironment({ heartbeatTimeoutMs });
  const heartbeats: { at: number; details: unknown }[] = [];
  environment.on('heartbeat', (details: unknown) =>
    heartbeats.push({ at: Date.now(), details: structuredClone(details) })
  );
  const result: ActivateResult = await environment.run(activities[ACTIVATE_ACTIVITY], {
    node,
    ticker: 'tBTC-lightning',
    activationParams: defaultActivation,
    knownPhase: null,
    policy,
    reportAfterMs: 30_000,
  });
  return { result, heartbeats, end: Date.now() };
}

test('a followed task heartbeats its id and its Ok, not each of the phases it goes through', async () => {
  // 8 phases of 300 ms, a read every 100-200 ms: every phase is seen, in 2.4 s, well within one 10 s cadence
  const { result, heartbeats: sent } = await activateWithHeartbeats(300, 20_000, {
    initialIntervalMs: 100,
    maxIntervalMs: 200,
    backoffCoefficient: 1.5,
  });
  const heartbeats = sent.map(({ details }) => details);

  expect(result).toMatchObject({ kind: 'followed', poll: { state: { kind: 'ok' } } });
  if (result.kind !== 'followed') return;
  expect(result.poll.phases.length).toBeGreaterThanOrEqual(5);
  // the task id at once after init, then the Ok before its confirming reads: two, however many phases
  expect(heartbeats).toHaveLength(2);
  expect(heartbeats[0]).toMatchObject({ task: result.task });
  expect(heartbeats[0]).not.toHaveProperty('okRead');
  expect(heartbeats[1]).toMatchObject({ task: result.task, okRead: expect.anything() });
});

test('while it follows, it heartbeats every half of its heartbeat timeout (at most 10 s), through waits and reads', async () => {
  // a 2 s timeout (a shorter one than activate's 20 s, as an activity scheduled by older code may have): every 1 s,
  // over 8 phases of 500 ms read only every 3 s
  const { result, heartbeats, end } = await activateWithHeartbeats(500, 2_000, {
    initialIntervalMs: 3_000,
    maxIntervalMs: 3_000,
    backoffCoefficient: 1,
  });
  expect(result).toMatchObject({ kind: 'followed', poll: { state: { kind: 'ok' } } });
  const instants = [...heartbeats.map(({ at }) => at), end];
  const gaps = instants.slice(1).map((at, i) => at - instants[i]!);
  expect(heartbeats.length).toBeGreaterThanOrEqual(4);
  expect(Math.max(...gaps)).toBeLessThan(1_500);
});
