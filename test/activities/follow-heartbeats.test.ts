// Each heartbeat of a following activity is a write on the Temporal server, so `activate` heartbeats on its cadence,
// the task id and an Ok, not on every phase it sees (issue #18: per-phase heartbeats were a third of the server's CPU
// at 10 s phases).
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities/index.js';
import type { ActivateResult } from '../../activities/activate.js';
import { startSimulator, type RunningSimulator } from '../../simulator/index.js';
import { ACTIVATE_ACTIVITY } from '../../workflows/api.js';
import { TEST_USERPASS, defaultActivation } from '../helpers/enablement-stack.js';

let simulator: RunningSimulator;

beforeAll(async () => {
  // 8 phases of 300 ms: a 2.4 s activation, well within one 10 s follow cadence
  simulator = await startSimulator({ userpass: TEST_USERPASS, phaseMs: 300 });
});

afterAll(async () => {
  await simulator?.stop();
});

test('a followed task heartbeats its id and its Ok, not each of the phases it goes through', async () => {
  const node = 'hb-node';
  const activities = createActivities({
    nodes: new Map([[node, { id: node, url: simulator.url, userpass: TEST_USERPASS, requestTimeoutMs: 3_000 }]]),
  });
  const environment = new MockActivityEnvironment({ heartbeatTimeoutMs: 20_000 });
  const heartbeats: unknown[] = [];
  environment.on('heartbeat', (details: unknown) => heartbeats.push(structuredClone(details)));

  const result: ActivateResult = await environment.run(activities[ACTIVATE_ACTIVITY], {
    node,
    ticker: 'tBTC-lightning',
    activationParams: defaultActivation,
    knownPhase: null,
    // a read every 100-200 ms: every phase is seen
    policy: { initialIntervalMs: 100, maxIntervalMs: 200, backoffCoefficient: 1.5 },
    reportAfterMs: 30_000,
  });

  expect(result).toMatchObject({ kind: 'followed', poll: { state: { kind: 'ok' } } });
  if (result.kind !== 'followed') return;
  expect(result.poll.phases.length).toBeGreaterThanOrEqual(5);
  // the task id at once after init, then the Ok before its confirming reads: two, however many phases
  expect(heartbeats).toHaveLength(2);
  expect(heartbeats[0]).toMatchObject({ task: result.task });
  expect(heartbeats[0]).not.toHaveProperty('okRead');
  expect(heartbeats[1]).toMatchObject({ task: result.task, okRead: expect.anything() });
});
