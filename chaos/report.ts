/**
 * What a chaos run reports, and the report as a text table.
 *
 * @module
 */
import type { FleetProgress } from '../workflows/api.js';
import type { CompensationOutcome, PairResult, RunningTask } from './checks.js';

export type DisruptionKind =
  'worker-kill' | 'dev-server-restart' | 'simulator-restart' | 'fault-burst' | 'cancel-outage';

export interface Disruption {
  kind: DisruptionKind;
  target: string;
  /** ms since the run started */
  at: number;
  /** ms the component was down (kill → running again; stop → healthy again; a fault window); 0 when instantaneous */
  downMs: number;
  /** ms from the end of the disruption to the next enablement that closed; undefined when none closed after */
  recoveryMs: number | undefined;
  detail?: string;
}

export interface ChaosReport {
  seed: number;
  enablements: number;
  nodes: number;
  durationMs: number;
  fleet: FleetProgress | undefined;
  fleetError: string | undefined;
  /** The fleet's counts add up to the total, match the members' kinds, and match the members' own reports. */
  countsAddUp: boolean;
  correct: number;
  incorrect: PairResult[];
  /** Members whose outcome is G3's documented residual (a reused task id read after a restart), counted correct */
  residuals: PairResult[];
  /** members without a closed enablement workflow in visibility */
  lost: string[];
  /** enablement workflows still open at the deadline */
  stuck: string[];
  /** tasks of a ticker that ended Ok beyond the first in one KDF process (see chaos/checks.ts) */
  duplicates: number;
  /** KDF tasks started, over every pair and process (information) */
  tasksStarted: number;
  /** inits without a reply, over every enablement's report */
  initsInDoubt: number;
  /** `cancelKdfTask` workflows (hand-offs of compensation), as they ended */
  compensations: CompensationOutcome[];
  /** of those, the ones not Completed with the node's answer by the end of the run */
  compensationsNotEnded: string[];
  /** tasks still InProgress at the end that nothing explains */
  leftRunning: RunningTask[];
  /** tasks still InProgress at the end, started by inits in doubt of hanging tickers (G4) */
  leftRunningByInitsInDoubt: RunningTask[];
  /** restarts by `restart-after-reply` faults */
  faultRestarts: number;
  disruptions: Disruption[];
  /** unplanned worker exits (restarted by the supervisor) */
  unplannedWorkerExits: number;
  faultsInjected: Record<string, number>;
  pairs: PairResult[];
  /** Histories of the first incorrect enablements, the G3 residuals and the hanging members (JSON only). */
  histories: Record<string, string[]>;
  workerLog: string;
}

/** Every check holds. */
export function passed(report: ChaosReport): boolean {
  return (
    report.fleetError === undefined &&
    report.countsAddUp &&
    report.incorrect.length === 0 &&
    report.lost.length === 0 &&
    report.stuck.length === 0 &&
    report.duplicates === 0 &&
    report.compensationsNotEnded.length === 0 &&
    report.leftRunning.length === 0
  );
}

const count = (pairs: readonly PairResult[], kind: PairResult['kind']) =>
  pairs.filter((pair) => pair.kind === kind).length;

/** The report as an aligned text table. */
export function formatReport(report: ChaosReport): string {
  const lines: string[] = [];
  const row = (cells: (string | number)[], widths: number[]) =>
    cells
      .map((cell, i) => String(cell).padEnd(widths[i] ?? 10))
      .join('  ')
      .trimEnd();
  const counts = report.fleet?.counts;
  const { pairs } = report;
  lines.push(
    `Chaos run (seed ${report.seed}): ${report.enablements} enablements on ${report.nodes} nodes, ${(report.durationMs / 1_000).toFixed(1)} s`
  );
  lines.push('');
  const started = pairs.map((pair) => pair.started);
  const handedOff = report.compensations.length;
  const summary: [string, string | number][] = [
    [
      'members: ok / fail / hang / refused',
      `${count(pairs, 'ok')} / ${count(pairs, 'fail')} / ${count(pairs, 'hang')} / ${count(pairs, 'refused')}`,
    ],
    [
      'enabled / failed / cancelled / timed out',
      counts
        ? `${counts.enabled} / ${counts.failed} / ${counts.cancelled} / ${counts.timed_out}`
        : `n/a (${report.fleetError ?? ''})`,
    ],
    ['fleet counts add up to the total', report.countsAddUp ? 'yes' : 'NO'],
    ['correct final outcomes', `${report.correct} / ${report.enablements}`],
    ['of which G3 residuals (reused id read)', report.residuals.length],
    ['lost workflows', report.lost.length],
    ['stuck workflows', report.stuck.length],
    ['duplicate activations', report.duplicates],
    [
      'KDF tasks started (per pair min-max)',
      started.length > 0 ? `${report.tasksStarted} (${Math.min(...started)}-${Math.max(...started)})` : 0,
    ],
    ['inits in doubt', report.initsInDoubt],
    [
      'compensations handed off / not ended',
      `${handedOff} / ${report.compensationsNotEnded.length}` +
        (handedOff > 0 ? ` (${report.compensations.map((c) => c.report?.result ?? c.status).join(', ')})` : ''),
    ],
    [
      'tasks left running (by inits in doubt)',
      `${report.leftRunning.length} (${report.leftRunningByInitsInDoubt.length})`,
    ],
    ['node restarts by restart-after-reply', report.faultRestarts],
    ['unplanned worker exits', report.unplannedWorkerExits],
    [
      'faults injected',
      Object.entries(report.faultsInjected)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ') || 'none',
    ],
  ];
  for (const [key, value] of summary) lines.push(row([key, value], [42, 0]));
  lines.push('');
  const widths = [3, 19, 30, 9, 9, 13, 0];
  lines.push(row(['#', 'disruption', 'target', 'at (s)', 'down (s)', 'recovery (s)', 'detail'], widths));
  report.disruptions.forEach((d, i) =>
    lines.push(
      row(
        [
          i + 1,
          d.kind,
          d.target,
          (d.at / 1_000).toFixed(1),
          (d.downMs / 1_000).toFixed(1),
          d.recoveryMs === undefined ? 'none' : (d.recoveryMs / 1_000).toFixed(1),
          d.detail ?? '',
        ],
        widths
      )
    )
  );
  const section = (title: string, items: string[]) => {
    if (items.length === 0) return;
    lines.push('', `${title}:`, ...items.slice(0, 20).map((item) => `  ${item}`));
    if (items.length > 20) lines.push(`  … ${items.length - 20} more`);
  };
  section(
    'incorrect outcomes',
    report.incorrect.map(
      (pair) => `${pair.node}/${pair.ticker}: expected ${pair.expected}; ${pair.problems.join('; ')}`
    )
  );
  section(
    'G3 residuals',
    report.residuals.map((pair) => `${pair.node}/${pair.ticker}: ${pair.failure ?? ''}; ${pair.residual ?? ''}`)
  );
  section(
    'duplicate activations',
    pairs
      .filter((pair) => pair.duplicates > 0)
      .map((pair) => `${pair.node}/${pair.ticker}: Ok tasks per KDF process ${pair.okTasks.join(', ')}`)
  );
  section(
    'compensation workflows not ended',
    report.compensationsNotEnded.map((id) => {
      const outcome = report.compensations.find((c) => c.workflowId === id);
      return `${id}: ${outcome?.status ?? 'MISSING'}${outcome?.error ? ` (${outcome.error})` : ''}`;
    })
  );
  section(
    'tasks left running',
    report.leftRunning.map((task) => `${task.node}: task ${task.taskId} of ${task.ticker}`)
  );
  return `${lines.join('\n')}\n`;
}
