// A small `npm run bench` (20 enablements, short phases) in-process against jest's dev server: keeps the benchmark
// working. Every process it starts is recorded with trackPid and killed in teardown.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BenchReport } from '../../bench/bench.js';
import { main } from '../../bench/main.js';
import { trackPid } from '../helpers/processes.js';

const ENABLEMENTS = 20;
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

test('a 20-enablement benchmark enables everything on both sides and reports sane figures', async () => {
  const json = path.join(mkdtempSync(path.join(tmpdir(), 'kdf-bench-smoke-')), 'bench.json');
  const argv = ['--enablements', String(ENABLEMENTS), '--nodes', '4', '--phase-ms', '100', '--json', json];
  const output: string[] = [];
  const onSpawn = (pid: number) => {
    trackPid(pid);
    spawned.push(pid);
  };
  const code = await main(argv, { onSpawn, log: (line) => output.push(line) });
  expect({ code, output: code === 0 ? '' : output.join('\n') }).toEqual({ code: 0, output: '' });

  const report = JSON.parse(readFileSync(json, 'utf8')) as BenchReport;
  const { baseline, temporal } = report;
  for (const side of [baseline, temporal]) {
    expect(side).toMatchObject({ enabled: ENABLEMENTS, failed: 0, initCallsPerEnablement: 1 });
    expect(side.makespanMs).toBeGreaterThan(8 * 100);
    expect(side.statusCallsPerEnablement).toBeGreaterThanOrEqual(1);
    expect(side.p50DetectionLatencyMs).toBeGreaterThanOrEqual(0);
    expect(side.p50DetectionLatencyMs).toBeLessThanOrEqual(side.p95DetectionLatencyMs);
    expect(side.p95DetectionLatencyMs).toBeLessThanOrEqual(side.maxDetectionLatencyMs);
  }
  expect(report.ratio).toBeCloseTo(temporal.makespanMs / baseline.makespanMs, 2);
  expect(temporal.eventsPerEnablement).toBeGreaterThan(10);
  expect(temporal.maxEventsPerEnablement).toBeLessThanOrEqual(80);
  expect(temporal.fleetEventsPerEnablement).toBeGreaterThan(0);
  expect(temporal.workerPeakRssMb).toBeGreaterThan(0);
  expect(temporal.workerCpuSeconds).toBeGreaterThan(0);
  expect(report.targets.map(({ name }) => name)).toContain('makespan ratio (kdf-lightning / baseline)');
}, 180_000);
