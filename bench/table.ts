/**
 * The benchmark's text report: the main run side by side, the floor, the targets, and one line per run.
 *
 * @module
 */
import { MAX_PENDING_STARTS } from '../workflows/api.js';
import type { BenchReport } from './bench.js';
import type { FloorPart } from './floor.js';
import type { RunResult } from './measure.js';
import type { TemporalResult } from './temporal-run.js';

export type Cell = string | number | undefined;

export function formatReport(report: BenchReport): string {
  const { config, baseline: a, environment, floor } = report;
  const poll = `${config.poll.initialIntervalMs} ms ×${config.poll.backoffCoefficient} up to ${config.poll.maxIntervalMs} ms`;
  /** kdf-lightning, and kdf-lightning + push with `--push`. */
  const sides: TemporalResult[] = report.push ? [report.temporal, report.push] : [report.temporal];
  const row = (label: string, baseline: Cell, value: (side: TemporalResult) => Cell): Cell[] => [
    label,
    baseline,
    ...sides.map(value),
  ];
  const lines = [
    `kdf-lightning benchmark: ${config.enablements} enablements over ${config.nodes} nodes, 8 phases of ` +
      `${config.phaseMs} ms; poll ${poll}; ${config.path} path${config.push ? '; with push' : ''}`,
    `${environment.cpus} CPUs; load average ${environment.loadAverage.before.join(' ')} before, ` +
      `${environment.loadAverage.after.join(' ')} after; Temporal: ${environment.temporal}`,
    '',
    ...columns([
      ['', 'baseline', 'kdf-lightning', ...(report.push ? ['kdf-lightning + push'] : [])],
      row('makespan, s', seconds(a.makespanMs), (b) => seconds(b.makespanMs)),
      row('throughput, enablements/s', a.throughputPerSecond, (b) => b.throughputPerSecond),
      row('detection latency p50, ms', a.p50DetectionLatencyMs, (b) => b.p50DetectionLatencyMs),
      row('detection latency p95, ms', a.p95DetectionLatencyMs, (b) => b.p95DetectionLatencyMs),
      row('detection latency max, ms', a.maxDetectionLatencyMs, (b) => b.maxDetectionLatencyMs),
      row('init after start p50, s', seconds(a.p50InitAfterStartMs), (b) => seconds(b.p50InitAfterStartMs)),
      row('last init after start, s', seconds(a.lastInitAfterStartMs), (b) => seconds(b.lastInitAfterStartMs)),
      row('status calls / enablement', a.statusCallsPerEnablement, (b) => b.statusCallsPerEnablement),
      row('init calls / enablement', a.initCallsPerEnablement, (b) => b.initCallsPerEnablement),
      row('all RPC calls / enablement', totalCalls(a.callsPerEnablement), (b) => totalCalls(b.callsPerEnablement)),
      row(
        'history events / enablement (mean, max)',
        '-',
        (b) => `${b.eventsPerEnablement}, ${b.maxEventsPerEnablement}`
      ),
      row('workflow tasks / enablement', '-', (b) => b.workflowTasksPerEnablement),
      row('fleet events / enablement', '-', (b) => b.fleetEventsPerEnablement),
      row('peak RSS, MB (script | worker)', a.scriptPeakRssMb, (b) => b.workerPeakRssMb),
      row('CPU, s (script | worker)', a.scriptCpuSeconds, (b) => b.workerCpuSeconds),
      row('CPU, s (Temporal server)', '-', (b) => b.devServerCpuSeconds ?? 'not ours'),
      row('CPU, s (simulators, this process)', '-', (b) => b.simulatorsCpuSeconds),
      row('enabled / failed', `${a.enabled} / ${a.failed}`, (b) => `${b.enabled} / ${b.failed}`),
    ]),
    '',
    `makespan ratio (kdf-lightning / baseline): ${report.ratio}`,
    ...(report.push ? [`makespan ratio (kdf-lightning + push / baseline): ${report.pushRatio}`] : []),
    ...[a, ...sides].flatMap(({ failureSamples }) => failureSamples).map((message) => `failure: ${message}`),
  ];
  if (floor) {
    lines.push(
      '',
      `floor: ${floor.workflows} trivial workflows (one no-op activity each) in ${seconds(floor.makespanMs)} s, ` +
        `${floor.throughputPerSecond}/s; ${partCpu(floor)}${partFailures(floor)}`,
      `floor ratio (floor / baseline): ${floor.ratio}, the least makespan ratio a workflow per enablement can reach here`,
      `cost ratio (kdf-lightning / floor): ${floor.costRatio}, how far above that floor kdf-lightning runs`,
      `fleet floor: the same as children of one parent, at most ${MAX_PENDING_STARTS} starts unanswered, in ` +
        `${seconds(floor.fleet.makespanMs)} s; ${partCpu(floor.fleet)}${partFailures(floor.fleet)}; ` +
        `fleet floor / floor ${floor.fleet.ratio}, what starting them through a parent costs over the floor`,
      `start floor: of ${floor.workflows} workflows started at once, half had started their first activity ` +
        `${seconds(floor.starts.p50StartMs)} s after the first start and the last ${seconds(floor.starts.startSpreadMs)} s, ` +
        `none finishing meanwhile${partFailures(floor.starts)}`,
      `memory floor: a worker process holding ${floor.memory.workflows} of them, each cached and at a running ` +
        `activity, had ${floor.memory.heldRssMb} MB RSS (idle ${floor.memory.idleRssMb} MB, ` +
        `${floor.memory.perWorkflowKb} KB a workflow)${partFailures(floor.memory)}: about the least worker RSS with ` +
        `every enablement in flight cached and at its activity`
    );
  }
  lines.push(
    '',
    'targets (set for 1000 enablements × 50 nodes × 1000 ms phases):',
    ...report.targets.map((t) => `  ${t.met ? 'met   ' : 'MISSED'} ${t.name} ${t.target}: ${t.value}`)
  );
  const runs = uniqueRuns([...report.phaseComparison, ...report.sweep]);
  if (runs.length > 1) lines.push('', ...runTable(runs, report.push !== undefined));
  return lines.join('\n');
}

/** One line per run; with push, "a/b/c" cells and the push ratio. */
function runTable(runs: RunResult[], push: boolean): string[] {
  const sidesOf = (run: RunResult): TemporalResult[] => (run.push ? [run.temporal, run.push] : [run.temporal]);
  const slash = (values: Cell[]): string => values.map((value) => String(value ?? '-')).join(' / ');
  const abc = push ? 'a/b/c' : 'a/b';
  return columns([
    [
      'N',
      'nodes',
      'phase ms',
      `makespan ${abc} s`,
      'ratio',
      ...(push ? ['push ratio'] : []),
      `p95 ${abc} ms`,
      `status ${abc}`,
      push ? 'events b/c' : 'events',
      push ? 'RSS MB b/c' : 'RSS MB',
      'load',
    ],
    ...runs.map((run) => {
      const { config, baseline, ratio, loadAverage } = run;
      const sides = sidesOf(run);
      return [
        config.enablements,
        config.nodes,
        config.phaseMs,
        slash([seconds(baseline.makespanMs), ...sides.map((side) => seconds(side.makespanMs))]),
        ratio,
        ...(push ? [run.pushRatio] : []),
        slash([baseline.p95DetectionLatencyMs, ...sides.map((side) => side.p95DetectionLatencyMs)]),
        slash([baseline.statusCallsPerEnablement, ...sides.map((side) => side.statusCallsPerEnablement)]),
        slash(sides.map((side) => side.eventsPerEnablement)),
        slash(sides.map((side) => side.workerPeakRssMb)),
        `${loadAverage.before}→${loadAverage.after}`,
      ];
    }),
  ]);
}

export const seconds = (ms: number): string => (ms / 1000).toFixed(2);

/** A floor part's CPU as the floor lines print it. */
const partCpu = (part: FloorPart): string =>
  `CPU, s: Temporal server ${part.devServerCpuSeconds ?? 'not ours'}, this process ${part.processCpuSeconds}`;

/** `; N failed` when any of a floor part's workflows failed. */
const partFailures = (part: { failed: number }): string => (part.failed > 0 ? `; ${part.failed} failed` : '');

const totalCalls = (calls: Record<string, number>): number =>
  Number(
    Object.values(calls)
      .reduce((sum, n) => sum + n, 0)
      .toFixed(2)
  );

const uniqueRuns = (runs: RunResult[]): RunResult[] => [...new Set(runs)];

/** Left-aligned first column, right-aligned others. */
export function columns(rows: Cell[][]): string[] {
  const text = rows.map((row) => row.map((cell) => String(cell ?? '-')));
  const widths = (text[0] ?? []).map((_, index) => Math.max(...text.map((row) => (row[index] ?? '').length)));
  return text.map((row) =>
    row.map((cell, index) => (index === 0 ? cell.padEnd(widths[0] ?? 0) : cell.padStart(widths[index] ?? 0))).join('  ')
  );
}
