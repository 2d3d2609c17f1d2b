import { nextScheduledRead } from '../../activities/poll.js';

const policy = { initialIntervalMs: 1_000, maxIntervalMs: 15_000, backoffCoefficient: 1.5 };

test('reads follow the plain script schedule from init: 1, 2.5, 4.75, 8.125 s, … capped at 15 s apart', () => {
  const start = 1_000_000;
  const reads: number[] = [];
  for (let now = start; reads.length < 9;) {
    now = nextScheduledRead(start, policy, now);
    reads.push(now - start);
  }
  expect(reads).toEqual([1_000, 2_500, 4_750, 8_125, 13_187.5, 20_781.25, 32_171.875, 47_171.875, 62_171.875]);
});

test('a poll that starts late (a retry, a continuation) joins the schedule instead of restarting it', () => {
  expect(nextScheduledRead(0, policy, 3_000)).toBe(4_750);
  expect(nextScheduledRead(0, policy, 4_750)).toBe(8_125);
  expect(nextScheduledRead(0, policy, -500)).toBe(1_000);
});
