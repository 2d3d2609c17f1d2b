// A small `npm run bench -- --push --floor` (20 enablements, short phases) in-process against jest's dev server:
// keeps the benchmark working. Every process it starts is recorded with trackPid and killed in teardown.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BenchReport } from '../../bench/bench.js';
import { main } from '../../bench/main.js';
import { parseOptions } from '../../bench/options.js';
import { formatServerComparison } from '../../bench/server-comparison.js';
import type { TemporalResult } from '../../bench/temporal-run.js';
import { trackPid } from '../helpers/processes.js';

const ENABLEMENTS = 20;
/**
 * 8 phases of 450 ms: Ok at 3.6 s after the init, well between the reads at 1, 2.5 and 4.75 s of the 1 s ×1.5
 * schedule (late reads only come later), so the baseline reads three times; kdf-lightning polling reads on the same
 * schedule (twice or three times, as its poll may start after the first read is due). Push needs two reads:
 * at once (KDF does not push a task's initial phase) and to confirm the Ok.
 */
const PHASE_MS = 450;
const spawned: number[] = [];

afterAll(() => {
  for (const pid of spawned) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone: the benchmark stops what it starts
    }
  }
});

test('a 20-enablement benchmark with push and floor enables everything on every side and reports sane figures', async () => {
  const json = path.join(mkdtempSync(path.join(tmpdir(), 'kdf-bench-smoke-')), 'bench.json');
  const argv = ['--enablements', String(ENABLEMENTS), '--nodes', '4', '--phase-ms', String(PHASE_MS)];
  // a cache of one per enablement: the option reaches the worker's environment, and nothing is evicted
  argv.push('--push', '--floor', '--worker-cache', String(ENABLEMENTS + 1), '--json', json);
  const output: string[] = [];
  const onSpawn = (pid: number) => {
    trackPid(pid);
    spawned.push(pid);
  };
  const code = await main(argv, { onSpawn, log: (line) => output.push(line) });
  expect({ code, output: code === 0 ? '' : output.join('\n') }).toEqual({ code: 0, output: '' });

  const report = JSON.parse(readFileSync(json, 'utf8')) as BenchReport;
  const { baseline, temporal } = report;
  expect(report.environment.workerTuning.KDF_MAX_CACHED_WORKFLOWS).toBe(String(ENABLEMENTS + 1));
  const push = report.push as TemporalResult;
  expect(push).toBeDefined();
  for (const side of [baseline, temporal, push]) {
    expect(side).toMatchObject({ enabled: ENABLEMENTS, failed: 0, initCallsPerEnablement: 1 });
    expect(side.makespanMs).toBeGreaterThan(8 * PHASE_MS);
    expect(side.statusCallsPerEnablement).toBeGreaterThanOrEqual(1);
    // null in the JSON (NaN) when an Ok instant was missed
    expect(side.p50DetectionLatencyMs).toBeGreaterThanOrEqual(0);
    expect(side.p50DetectionLatencyMs).toBeLessThanOrEqual(side.p95DetectionLatencyMs);
    expect(side.p95DetectionLatencyMs).toBeLessThanOrEqual(side.maxDetectionLatencyMs);
    // the inits, from the Ok instants: the last one leaves the activation and the detection to the makespan
    expect(side.p50InitAfterStartMs).toBeGreaterThanOrEqual(0);
    expect(side.p50InitAfterStartMs).toBeLessThanOrEqual(side.lastInitAfterStartMs);
    expect(side.lastInitAfterStartMs).toBeLessThanOrEqual(side.makespanMs - 8 * PHASE_MS);
  }
  expect(baseline.statusCallsPerEnablement).toBeGreaterThanOrEqual(3);
  for (const side of [temporal, push]) {
    expect(side.eventsPerEnablement).toBeGreaterThan(10);
    expect(side.maxEventsPerEnablement).toBeLessThanOrEqual(80);
    expect(side.workflowTasksPerEnablement).toBeGreaterThanOrEqual(2);
    expect(side.workflowTasksPerEnablement).toBeLessThanOrEqual(side.eventsPerEnablement / 3);
    expect(side.fleetEventsPerEnablement).toBeGreaterThan(0);
    expect(side.workerPeakRssMb).toBeGreaterThan(0);
    expect(side.workerCpuSeconds).toBeGreaterThan(0);
  }
  expect(report.ratio).toBeCloseTo(temporal.makespanMs / baseline.makespanMs, 2);
  expect(report.pushRatio).toBeCloseTo(push.makespanMs / baseline.makespanMs, 2);

  // the push side learns of the Ok from the stream instead of the next read of the schedule
  expect(push.statusCallsPerEnablement).toBeLessThan(baseline.statusCallsPerEnablement);
  expect(push.statusCallsPerEnablement).toBeLessThanOrEqual(temporal.statusCallsPerEnablement);
  expect(push.p50DetectionLatencyMs).toBeLessThan(temporal.p50DetectionLatencyMs);

  const { floor } = report;
  expect(floor).toMatchObject({ workflows: ENABLEMENTS, failed: 0 });
  expect(floor?.makespanMs).toBeGreaterThan(0);
  expect(floor?.throughputPerSecond).toBeGreaterThan(0);
  expect(floor?.ratio).toBeCloseTo((floor?.makespanMs ?? Number.NaN) / baseline.makespanMs, 2);
  expect(floor?.costRatio).toBeCloseTo(temporal.makespanMs / (floor?.makespanMs ?? Number.NaN), 2);
  expect(floor?.fleet).toMatchObject({ failed: 0 });
  expect(floor?.fleet.ratio).toBeCloseTo((floor?.fleet.makespanMs ?? Number.NaN) / (floor?.makespanMs ?? 0), 2);
  expect(floor?.starts).toMatchObject({ failed: 0 });
  expect(floor?.starts.p50StartMs).toBeGreaterThanOrEqual(0);
  expect(floor?.starts.p50StartMs).toBeLessThanOrEqual(floor?.starts.startSpreadMs ?? 0);
  expect(floor?.starts.startSpreadMs).toBeLessThanOrEqual(floor?.starts.makespanMs ?? 0);
  // the SDK's own memory at N in flight: held workflows cost the worker more than it had idle
  expect(floor?.memory).toMatchObject({ workflows: ENABLEMENTS, failed: 0 });
  expect(floor?.memory.idleRssMb).toBeGreaterThan(50);
  expect(floor?.memory.heldRssMb).toBeGreaterThan(floor?.memory.idleRssMb ?? Infinity);
  expect(floor?.memory.perWorkflowKb).toBeGreaterThan(0);
  // from the unrounded RSS figures: within what rounding them to 0.1 MB moves the quotient
  const perWorkflowKb = (((floor?.memory.heldRssMb ?? 0) - (floor?.memory.idleRssMb ?? 0)) * 1024) / ENABLEMENTS;
  expect(Math.abs((floor?.memory.perWorkflowKb ?? Infinity) - perWorkflowKb)).toBeLessThanOrEqual(
    (0.1 * 1024) / ENABLEMENTS + 0.1
  );

  expect(report.targets.map(({ name }) => name)).toEqual(
    expect.arrayContaining([
      'push: p95 detection latency, ms',
      'push: status calls per enablement',
      'history events per enablement (mean)',
      'workflow tasks per enablement (mean)',
      'cost ratio (kdf-lightning / floor)',
      `worker peak RSS, ${PHASE_MS} ms phases, MB`,
      `worker peak RSS (push), ${PHASE_MS} ms phases, MB`,
    ])
  );
  const table = output.join('\n');
  expect(table).toContain('kdf-lightning + push');
  expect(table).toContain('floor ratio (floor / baseline)');
  expect(table).toContain('cost ratio (kdf-lightning / floor)');
  expect(table).toContain('workflow tasks / enablement');
  expect(table).toContain('last init after start, s');
  expect(table).toContain('fleet floor / floor');
  expect(table).toContain('start floor: of');
  expect(table).toContain('memory floor: a worker process holding');

  // `--cluster` lays two such reports side by side (its run against the cluster is too slow for npm test)
  const comparison = formatServerComparison({ generatedAt: report.generatedAt, devServer: report, cluster: report });
  expect(comparison).toMatch(/ {2}throughput, enablements\/s +[\d.]+ +[\d.]+/);
  expect(comparison).toMatch(/ {2}detection latency p95, ms +\d+ +\d+/);
  expect(comparison).toMatch(new RegExp(` {2}enabled / failed +${ENABLEMENTS} / 0 +${ENABLEMENTS} / 0`));
  expect(comparison).toContain('kdf-lightning + push');
  expect(comparison).toContain('floor ratio (floor / baseline)');
  // ~25 s alone, ~40 s on a busy machine: a timeout near twice that shows a slowdown
}, 80_000);

test('--cluster writes its own JSON, not the main benchmark JSON, and leaves the chart out', () => {
  expect(parseOptions(['--cluster'], {})).toMatchObject({ cluster: true, json: 'bench/results/bench-cluster.json' });
  expect(parseOptions([], {})).toMatchObject({ cluster: false, json: 'bench/results/bench.json' });
  expect(() => parseOptions(['--cluster', '--chart'], {})).toThrow('--chart');
});

test('--worker-cache sets the sticky cache of the worker, and an error names the option when its value is bad', () => {
  expect(parseOptions(['--worker-cache', '100'], {})).toMatchObject({ workerCache: 100 });
  expect(parseOptions([], {})).toMatchObject({ workerCache: undefined });
  expect(parseOptions(['--worker-cache', '0'], {})).toMatchObject({ workerCache: 0 });
  expect(() => parseOptions(['--worker-cache=-1'], {})).toThrow('--worker-cache: "-1" must be a non-negative integer');
  expect(() => parseOptions(['--worker-cache', 'lots'], {})).toThrow('--worker-cache: "lots"');
  expect(() => parseOptions(['--enablements', '0'], {})).toThrow('--enablements: "0" must be a positive integer');
});
