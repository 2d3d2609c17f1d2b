// A bounded chaos run inside `npm test`: ~40 enablements while the worker process is SIGKILLed and restarted, the
// run's own Temporal dev server (SQLite, fixed port) is stopped and restarted, a simulated node restarts and nodes
// inject latency, 5xx, resets, truncated bodies and lost responses, steadily and in bursts. Every enablement must
// reach its correct outcome with no lost, stuck or duplicated workflow. The full run is `tsx chaos/run.ts` (see
// chaos/harness.ts for the definitions).
import { formatReport, runChaos, type ChaosReport } from '../../chaos/harness.js';
import { trackPid } from '../helpers/processes.js';

let report: ChaosReport;
const lines: string[] = [];

beforeAll(async () => {
  report = await runChaos({
    enablements: 40,
    nodes: 8,
    seconds: 35,
    workerKills: 3,
    devServerRestarts: 1,
    simulatorRestarts: 2,
    faultBursts: 2,
    settleSeconds: 90,
    onPid: trackPid,
    log: (line) => lines.push(line),
  });
  process.stdout.write(formatReport(report));
}, 175_000);

test('the fleet finishes and its counts add up to the total, with the expected enabled/failed split', () => {
  expect(report.fleetError).toBeUndefined();
  expect(report.fleet?.done).toBe(true);
  const counts = report.fleet!.counts;
  expect(counts.enabled + counts.failed + counts.cancelled + counts.timed_out).toBe(40);
  expect(report.countsAddUp).toBe(true);
});

test('every enablement reaches its correct final outcome', () => {
  expect(report.incorrect).toEqual([]);
  expect(report.correct).toBe(40);
  expect(report.pairs.filter((pair) => pair.expected === 'failed').length).toBeGreaterThan(0);
});

test('no lost and no stuck workflow: every member has a closed enablement workflow in visibility', () => {
  expect(report.lost).toEqual([]);
  expect(report.stuck).toEqual([]);
});

test('no duplicate activation beyond the re-inits explained by simulator restarts', () => {
  expect(report.pairs.filter((pair) => pair.duplicates > 0)).toEqual([]);
  expect(report.duplicates).toBe(0);
  // every pair started at least one KDF task
  expect(report.pairs.every((pair) => pair.started >= 1)).toBe(true);
});

test('the disruptions happened while the fleet ran, and the fleet recovered after each', () => {
  const kinds = report.disruptions.map((d) => d.kind);
  expect(kinds.filter((kind) => kind === 'worker-kill').length).toBeGreaterThanOrEqual(2);
  expect(kinds).toContain('dev-server-restart');
  expect(kinds).toContain('simulator-restart');
  expect(Object.values(report.faultsInjected).reduce((sum, n) => sum + n, 0)).toBeGreaterThan(0);
  for (const disruption of report.disruptions) {
    if (disruption.kind === 'worker-kill' || disruption.kind === 'dev-server-restart') {
      // a completion after every process disruption, within the activities' timeouts (30 s) plus margin
      expect(disruption.recoveryMs).toBeDefined();
      expect(disruption.recoveryMs!).toBeLessThan(60_000);
    }
  }
});
