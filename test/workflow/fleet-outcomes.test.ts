// How a fleet counts and keeps its members' failures (the kept ones travel in every continue-as-new input).
import { ApplicationFailure } from '@temporalio/common';
import {
  emptyFleetCounts,
  FLEET_FAILURE_MESSAGE_MAX,
  FLEET_FAILURES_KEPT,
  type FleetCarried,
} from '../../workflows/api.js';
import { recordOutcome } from '../../workflows/fleet-outcomes.js';

const carried = (): FleetCarried => ({
  total: 0,
  reached: 0,
  next: {},
  running: [],
  counts: emptyFleetCounts(),
  failures: [],
  runs: 1,
});

test('a failure is kept with its type and a message cut at the limit; only the most recent ones are kept', () => {
  const state = carried();
  const long = 'x'.repeat(FLEET_FAILURE_MESSAGE_MAX * 10);
  recordOutcome(
    state,
    { node: 'n', ticker: 't' },
    undefined,
    ApplicationFailure.create({ type: 'Internal', message: long })
  );
  expect(state.counts.failed).toBe(1);
  expect(state.failures[0]).toMatchObject({ node: 'n', ticker: 't', outcome: 'failed', type: 'Internal' });
  expect(state.failures[0]?.message).toBe(`${'x'.repeat(FLEET_FAILURE_MESSAGE_MAX)}…`);
  for (let i = 0; i < FLEET_FAILURES_KEPT; i++) {
    recordOutcome(
      state,
      { node: 'n', ticker: `t${i}` },
      undefined,
      ApplicationFailure.create({ type: 'Internal', message: 'short' })
    );
  }
  expect(state.failures).toHaveLength(FLEET_FAILURES_KEPT);
  expect(state.failures[0]?.ticker).toBe('t0');
  expect(state.counts.failed).toBe(FLEET_FAILURES_KEPT + 1);
});
