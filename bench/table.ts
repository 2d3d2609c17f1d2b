/**
 * The benchmark's text report: the main run side by side, the targets, and one line per run.
 *
 * @module
 */
import type { BenchReport } from './bench.js';
import type { RunResult } from './measure.js';

type Cell = string | number | undefined;

export function formatReport(report: BenchReport): string {
  const { config, baseline: a, temporal: b, environment } = report;
  const poll = `${config.poll.initialIntervalMs} ms ×${config.poll.backoffCoefficient} up to ${config.poll.maxIntervalMs} ms`;
  const lines = [
    `kdf-lightning benchmark: ${config.enablements} enablements over ${config.nodes} nodes, 8 phases of ` +
      `${config.phaseMs} ms; poll ${poll}; ${config.path} path`,
    `${environment.cpus} CPUs; load average ${environment.loadAverage.before.join(' ')} before, ` +
      `${environment.loadAverage.after.join(' ')} after; Temporal: ${environment.temporal}`,
    '',
    ...columns([
      ['', 'baseline', 'kdf-lightning'],
      ['makespan, s', seconds(a.makespanMs), seconds(b.makespanMs)],
      ['throughput, enablements/s', a.throughputPerSecond, b.throughputPerSecond],
      ['detection latency p50, ms', a.p50DetectionLatencyMs, b.p50DetectionLatencyMs],
      ['detection latency p95, ms', a.p95DetectionLatencyMs, b.p95DetectionLatencyMs],
      ['detection latency max, ms', a.maxDetectionLatencyMs, b.maxDetectionLatencyMs],
      ['status calls / enablement', a.statusCallsPerEnablement, b.statusCallsPerEnablement],
      ['init calls / enablement', a.initCallsPerEnablement, b.initCallsPerEnablement],
      ['all RPC calls / enablement', totalCalls(a.callsPerEnablement), totalCalls(b.callsPerEnablement)],
      ['history events / enablement (mean, max)', '-', `${b.eventsPerEnablement}, ${b.maxEventsPerEnablement}`],
      ['fleet events / enablement', '-', b.fleetEventsPerEnablement],
      ['peak RSS, MB (script | worker)', a.scriptPeakRssMb, b.workerPeakRssMb],
      ['CPU, s (script | worker)', a.scriptCpuSeconds, b.workerCpuSeconds],
      ['CPU, s (dev server)', '-', b.devServerCpuSeconds ?? 'not ours'],
      ['CPU, s (simulators, this process)', '-', b.simulatorsCpuSeconds],
      ['enabled / failed', `${a.enabled} / ${a.failed}`, `${b.enabled} / ${b.failed}`],
    ]),
    '',
    `makespan ratio (kdf-lightning / baseline): ${report.ratio}`,
    ...[...a.failureSamples, ...b.failureSamples].map((message) => `failure: ${message}`),
    '',
    'targets (set for 1000 enablements × 50 nodes × 1000 ms phases):',
    ...report.targets.map((t) => `  ${t.met ? 'met   ' : 'MISSED'} ${t.name} ${t.target}: ${t.value}`),
  ];
  const runs = uniqueRuns([...report.phaseComparison, ...report.sweep]);
  if (runs.length > 1) {
    lines.push(
      '',
      ...columns([
        ['N', 'nodes', 'phase ms', 'makespan a/b s', 'ratio', 'p95 a/b ms', 'status a/b', 'events', 'RSS MB', 'load'],
        ...runs.map(({ config, baseline, temporal, ratio, loadAverage }) => [
          config.enablements,
          config.nodes,
          config.phaseMs,
          `${seconds(baseline.makespanMs)} / ${seconds(temporal.makespanMs)}`,
          ratio,
          `${baseline.p95DetectionLatencyMs} / ${temporal.p95DetectionLatencyMs}`,
          `${baseline.statusCallsPerEnablement} / ${temporal.statusCallsPerEnablement}`,
          temporal.eventsPerEnablement,
          temporal.workerPeakRssMb,
          `${loadAverage.before}→${loadAverage.after}`,
        ]),
      ])
    );
  }
  return lines.join('\n');
}

const seconds = (ms: number): string => (ms / 1000).toFixed(2);

const totalCalls = (calls: Record<string, number>): number =>
  Number(
    Object.values(calls)
      .reduce((sum, n) => sum + n, 0)
      .toFixed(2)
  );

const uniqueRuns = (runs: RunResult[]): RunResult[] => [...new Set(runs)];

/** Left-aligned first column, right-aligned others. */
function columns(rows: Cell[][]): string[] {
  const text = rows.map((row) => row.map((cell) => String(cell ?? '-')));
  const widths = (text[0] ?? []).map((_, index) => Math.max(...text.map((row) => (row[index] ?? '').length)));
  return text.map((row) =>
    row.map((cell, index) => (index === 0 ? cell.padEnd(widths[0] ?? 0) : cell.padStart(widths[index] ?? 0))).join('  ')
  );
}
