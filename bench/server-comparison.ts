/**
 * `npm run bench -- --cluster`: the same workload on the benchmark's own dev server (SQLite with a write-ahead log),
 * then on its own `npm run cluster` stack (the Temporal server on PostgreSQL with SQL visibility), one after the
 * other so that neither server takes CPU from the other, and the two side by side.
 *
 * @module
 */
import { runBench, type BenchHooks, type BenchReport } from './bench.js';
import type { RunResult } from './measure.js';
import type { BenchOptions } from './options.js';
import { round } from './summary.js';
import { columns, seconds, type Cell } from './table.js';
import type { TemporalResult } from './temporal-run.js';

export interface ServerComparisonReport {
  generatedAt: string;
  /** The whole benchmark the options ask for, on the dev server. */
  devServer: BenchReport;
  /** The same on the cluster; the server CPU figures are the Temporal server's and PostgreSQL's apart. */
  cluster: BenchReport;
}

export async function runServerComparison(
  options: BenchOptions,
  hooks: BenchHooks = {}
): Promise<ServerComparisonReport> {
  const log = hooks.log ?? console.log;
  const generatedAt = new Date().toISOString();
  log('bench: on the dev server (SQLite, write-ahead log)');
  const devServer = await runBench({ ...options, cluster: false }, hooks);
  log('bench: on the cluster (Temporal server on PostgreSQL)');
  const cluster = await runBench({ ...options, cluster: true }, hooks);
  return { generatedAt, devServer, cluster };
}

export function formatServerComparison({ devServer, cluster }: ServerComparisonReport): string {
  const { config, environment } = devServer;
  const load = (report: BenchReport) =>
    `${report.environment.loadAverage.before.join(' ')} → ${report.environment.loadAverage.after.join(' ')}`;
  const lines = [
    `kdf-lightning benchmark, dev server and cluster: ${config.enablements} enablements over ${config.nodes} ` +
      `nodes, 8 phases of ${config.phaseMs} ms; ${config.path} path${config.push ? '; with push' : ''}`,
    `${environment.cpus} CPUs; load average on the dev server ${load(devServer)}, on the cluster ${load(cluster)}`,
    `dev server: ${devServer.environment.temporal}`,
    `cluster: ${cluster.environment.temporal}`,
  ];
  const pairs = devServer.phaseComparison.map((run, index) => [run, cluster.phaseComparison[index]] as const);
  for (const [devRun, clusterRun] of pairs) {
    if (clusterRun === undefined) continue;
    lines.push('');
    if (pairs.length > 1) lines.push(`${devRun.config.phaseMs} ms phases:`);
    lines.push(...columns([['', 'dev server (SQLite, WAL)', 'cluster (PostgreSQL)'], ...runRows(devRun, clusterRun)]));
  }
  if (devServer.floor && cluster.floor) {
    const floors = [devServer.floor, cluster.floor];
    lines.push(
      '',
      ...columns([
        ['floor (trivial workflows)', 'dev server', 'cluster'],
        ['makespan, s', ...floors.map((floor) => seconds(floor.makespanMs))],
        ['throughput, workflows/s', ...floors.map((floor) => floor.throughputPerSecond)],
        ['floor ratio (floor / baseline)', ...floors.map((floor) => floor.ratio)],
        ['server CPU, s (Temporal + PostgreSQL)', ...floors.map(serverCpuSeconds)],
      ])
    );
  }
  const failures = [devServer, cluster].flatMap((report) =>
    [report.baseline, report.temporal, ...(report.push ? [report.push] : [])].flatMap((side) => side.failureSamples)
  );
  lines.push(...failures.map((message) => `failure: ${message}`));
  return lines.join('\n');
}

/** One row per figure, dev server then cluster; kdf-lightning + push rows with `--push`. */
function runRows(devRun: RunResult, clusterRun: RunResult): Cell[][] {
  const runs = [devRun, clusterRun];
  /** A heading row naming the side, then its figures indented under it. */
  const sideRows = (name: string, pick: (run: RunResult) => TemporalResult): Cell[][] => {
    const row = (label: string, value: (side: TemporalResult) => Cell): Cell[] => [
      `  ${label}`,
      ...runs.map((run) => value(pick(run))),
    ];
    return [
      [name, '', ''],
      row('makespan, s', (b) => seconds(b.makespanMs)),
      row('throughput, enablements/s', (b) => b.throughputPerSecond),
      row('detection latency p50, ms', (b) => b.p50DetectionLatencyMs),
      row('detection latency p95, ms', (b) => b.p95DetectionLatencyMs),
      row('status calls / enablement', (b) => b.statusCallsPerEnablement),
      row('history events / enablement', (b) => b.eventsPerEnablement),
      row('worker CPU, s', (b) => b.workerCpuSeconds),
      row('Temporal server CPU, s', (b) => b.devServerCpuSeconds),
      row('PostgreSQL CPU, s', (b) => b.databaseCpuSeconds ?? '- (in the server)'),
      row('server CPU, s (Temporal + PostgreSQL)', serverCpuSeconds),
      row('server CPU / enablement, ms', (b) => serverCpuMsPerEnablement(b, devRun.config.enablements)),
      row('enabled / failed', (b) => `${b.enabled} / ${b.failed}`),
    ];
  };
  return [
    ['baseline makespan, s (plain script, no Temporal)', ...runs.map((run) => seconds(run.baseline.makespanMs))],
    ...sideRows('kdf-lightning', (run) => run.temporal),
    ['makespan ratio (kdf-lightning / baseline)', ...runs.map((run) => run.ratio)],
    ...(devRun.push && clusterRun.push
      ? [
          ...sideRows('kdf-lightning + push', (run) => run.push as TemporalResult),
          ['makespan ratio (push / baseline)', ...runs.map((run) => run.pushRatio)],
        ]
      : []),
    [
      'load average (1 min) at start → end',
      ...runs.map(({ loadAverage }) => `${loadAverage.before} → ${loadAverage.after}`),
    ],
  ];
}

/** The Temporal server's CPU time and, on the cluster, PostgreSQL's: what persistence costs on either. */
const serverCpuSeconds = (usage: {
  devServerCpuSeconds: number | undefined;
  databaseCpuSeconds: number | undefined;
}) =>
  usage.devServerCpuSeconds === undefined
    ? undefined
    : round(usage.devServerCpuSeconds + (usage.databaseCpuSeconds ?? 0), 2);

const serverCpuMsPerEnablement = (side: TemporalResult, enablements: number) => {
  const cpu = serverCpuSeconds(side);
  return cpu === undefined ? undefined : round((cpu * 1000) / enablements, 1);
};
