// Human output of the CLI: tables, report lines and live progress (cli-progress on a TTY, plain lines otherwise).
import cliProgress from 'cli-progress';
import { LIGHTNING_PHASES, STARTING_PHASE } from '../workflows/api.js';
import type {
  EnablementProgress,
  EnablementReport,
  FleetFailure,
  FleetProgress,
  PhaseRecord,
} from '../workflows/api.js';
import { formatDuration } from './duration.js';

export interface Writable {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** Left-aligned text table with a header row. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length))
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

const totalMs = (report: EnablementReport): number =>
  Object.values(report.durations).reduce((sum, ms) => sum + (Number.isFinite(ms) ? ms : 0), 0);

/** The most telling detail of a report: address when enabled, error or who cancelled otherwise. */
export function reportDetail(report: EnablementReport): string {
  if (report.outcome === 'enabled') {
    const parts = [report.address ? `address ${report.address}` : '', report.alreadyEnabled ? '(already enabled)' : ''];
    return parts.filter(Boolean).join(' ') || '-';
  }
  if (report.outcome === 'cancelled' && report.cancel) {
    return `by ${report.cancel.requestedBy}: ${report.cancel.reason}`;
  }
  if (report.error) return `${report.error.type}: ${report.error.message}`;
  return '-';
}

export function reportTable(reports: readonly EnablementReport[]): string {
  return table(
    ['NODE', 'TICKER', 'OUTCOME', 'TASK', 'PHASES', 'TIME', 'DETAIL'],
    reports.map((report) => [
      report.node,
      report.ticker,
      report.outcome,
      report.taskId === null ? '-' : String(report.taskId),
      String(report.phases.length),
      report.phases.length ? formatDuration(totalMs(report)) : '-',
      reportDetail(report),
    ])
  );
}

/** Several lines describing one report in full (for `result` and single-ticker commands). */
export function reportDetails(workflowId: string, report: EnablementReport): string {
  const lines = [
    `workflow   ${workflowId}`,
    `node       ${report.node}`,
    `ticker     ${report.ticker}`,
    `outcome    ${report.outcome}${report.alreadyEnabled ? ' (already enabled, no activation needed)' : ''}`,
    `task id    ${report.taskId ?? '-'}`,
  ];
  if (report.platformCoin) lines.push(`platform   ${report.platformCoin}`);
  if (report.address) lines.push(`address    ${report.address}`);
  if (report.balance)
    lines.push(`balance    spendable ${report.balance.spendable}, unspendable ${report.balance.unspendable}`);
  if (report.error) lines.push(`error      ${report.error.type}: ${report.error.message}`);
  if (report.cancel) {
    lines.push(`cancelled  by ${report.cancel.requestedBy} at ${report.cancel.at}: ${report.cancel.reason}`);
  }
  if (report.compensation) {
    const error = report.compensation.error
      ? ` (${report.compensation.error.type}: ${report.compensation.error.message})`
      : '';
    const goesOn = report.compensation.workflowId ? `; still trying in workflow ${report.compensation.workflowId}` : '';
    lines.push(`kdf cancel ${report.compensation.result}${error}${goesOn}`);
  }
  if (report.initsInDoubt) {
    lines.push(
      `in doubt   ${report.initsInDoubt} init(s) got no reply; a task one started ends by itself (docs/guarantees.md)`
    );
  }
  if (report.phases.length > 0) {
    lines.push('phases');
    for (const record of report.phases) {
      const ms = report.durations[record.phase];
      lines.push(`  ${record.at}  ${record.phase}${ms === undefined ? '' : `  ${formatDuration(ms)}`}`);
    }
  }
  return lines.join('\n') + '\n';
}

export function progressDetails(workflowId: string, status: string, progress: EnablementProgress): string {
  const lines = [
    `workflow   ${workflowId}`,
    `status     ${status}`,
    `phase      ${progress.phase}${phaseIndexText(progress.phase)}`,
    `task id    ${progress.taskId ?? '-'}`,
    `polls      ${progress.pollCount}, retries ${progress.retries}`,
  ];
  if (progress.outcome) lines.push(`outcome    ${progress.outcome}`);
  if (progress.lastError) lines.push(`last error ${progress.lastError.type}: ${progress.lastError.message}`);
  if (progress.cancel) {
    lines.push(
      `cancel     requested by ${progress.cancel.requestedBy} at ${progress.cancel.at}: ${progress.cancel.reason}`
    );
  }
  if (progress.phases.length > 0) {
    lines.push('phases');
    for (const record of progress.phases) lines.push(`  ${record.at}  ${record.phase}`);
  }
  return lines.join('\n') + '\n';
}

const PHASE_COUNT = LIGHTNING_PHASES.length;

/** 1-based position of a KDF phase in the known sequence, 0 before the first. */
export function phaseIndex(phase: string): number {
  return (LIGHTNING_PHASES as readonly string[]).indexOf(phase) + 1;
}

const phaseIndexText = (phase: string): string => {
  const index = phaseIndex(phase);
  return index > 0 ? ` (${index}/${PHASE_COUNT})` : '';
};

/** Live progress of one or more enablements. */
export interface ProgressView {
  update(key: string, progress: EnablementProgress): void;
  done(key: string, report: EnablementReport): void;
  stop(): void;
}

/** No live output (`--json`). */
export const silentView = (): ProgressView => ({
  update: () => undefined,
  done: () => undefined,
  stop: () => undefined,
});

const clock = (): string => new Date().toISOString().slice(11, 19);

/**
 * One line per phase, with the time KDF entered it: for logs and pipes. A phase record (phase and time) is printed
 * once, whenever it first shows up: the live view may list a record before the workflow itself does.
 */
export function lineView(out: Writable, keyWidth = 0): ProgressView {
  const state = new Map<string, { phase: string; printed: Set<string> }>();
  const stateOf = (key: string) => {
    let entry = state.get(key);
    if (!entry) {
      entry = { phase: '', printed: new Set() };
      state.set(key, entry);
    }
    return entry;
  };
  const printPhases = (key: string, phases: readonly PhaseRecord[]) => {
    const { printed } = stateOf(key);
    for (const record of phases) {
      const id = `${record.at}\u0000${record.phase}`;
      if (printed.has(id)) continue;
      printed.add(id);
      out.write(
        `${record.at.slice(11, 19)}  ${key.padEnd(keyWidth)}  ${record.phase}${phaseIndexText(record.phase)}\n`
      );
    }
  };
  return {
    update(key, progress) {
      printPhases(key, progress.phases);
      const entry = stateOf(key);
      // steps of our own (preflight, init, cancelling) are not in KDF's phase list
      if (progress.phase !== entry.phase && !progress.phases.some((record) => record.phase === progress.phase)) {
        out.write(`${clock()}  ${key.padEnd(keyWidth)}  ${progress.phase}\n`);
      }
      entry.phase = progress.phase;
    },
    done(key, report) {
      printPhases(key, report.phases);
      stateOf(key).phase = report.outcome;
      out.write(`${clock()}  ${key.padEnd(keyWidth)}  ${report.outcome}  ${reportDetail(report)}\n`);
    },
    stop: () => undefined,
  };
}

/** cli-progress settings shared by the enablement and fleet bars. */
const barOptions = (out: Writable, format: string): cliProgress.Options => ({
  stream: out as NodeJS.WritableStream,
  format,
  hideCursor: true,
  clearOnComplete: false,
  stopOnComplete: false,
  forceRedraw: true,
  barsize: 24,
});

/** A progress bar per enablement, phase by phase (interactive terminals). */
export function barView(out: Writable, keyWidth = 0): ProgressView {
  const multibar = new cliProgress.MultiBar(
    barOptions(out, ' {key} [{bar}] {value}/{total}  {phase}'),
    cliProgress.Presets.shades_classic
  );
  const bars = new Map<string, cliProgress.SingleBar>();
  const barFor = (key: string) => {
    let bar = bars.get(key);
    if (!bar) {
      bar = multibar.create(PHASE_COUNT, 0, { key: key.padEnd(keyWidth), phase: STARTING_PHASE });
      bars.set(key, bar);
    }
    return bar;
  };
  return {
    update(key, progress) {
      const index = Math.max(phaseIndex(progress.phase), phaseIndex(progress.phases.at(-1)?.phase ?? ''));
      barFor(key).update(index, { phase: progress.phase });
    },
    done(key, report) {
      const value = report.outcome === 'enabled' ? PHASE_COUNT : phaseIndex(report.phases.at(-1)?.phase ?? '');
      barFor(key).update(value, { phase: `${report.outcome}  ${reportDetail(report)}` });
    },
    stop: () => multibar.stop(),
  };
}

/** Members that ended, whatever their outcome. */
export const fleetFinished = (progress: FleetProgress): number =>
  progress.counts.enabled + progress.counts.failed + progress.counts.cancelled + progress.counts.timed_out;

/**
 * One line: `3/4 started, 1 running · enabled 2 (already 1, now 0, re-enabled 1) · drifted 1 · failed 1 ·
 * timed out 0 · cancelled 0`.
 */
export function fleetSummary(progress: FleetProgress): string {
  const { counts } = progress;
  return (
    `${progress.started}/${progress.total} started, ${progress.running} running · ` +
    `enabled ${counts.enabled} (${enabledParts(counts)}) · drifted ${counts.drifted} · failed ${counts.failed} · ` +
    `timed out ${counts.timed_out} · cancelled ${counts.cancelled}`
  );
}

const enabledParts = (counts: FleetProgress['counts']): string =>
  `already ${counts.alreadyEnabled}, now ${counts.enabledNow}, re-enabled ${counts.reEnabled}`;

/** Failed, timed-out and cancelled members with the reason: node, ticker, outcome, type, message. */
export function fleetFailuresTable(failures: readonly FleetFailure[]): string {
  return table(
    ['NODE', 'TICKER', 'OUTCOME', 'TYPE', 'MESSAGE'],
    failures.map((failure) => [failure.node, failure.ticker, failure.outcome, failure.type, failure.message])
  );
}

/** Running members by phase (from visibility), in KDF's phase order after our own steps. */
export function sortedPhaseCounts(phases: Readonly<Record<string, number>>): [string, number][] {
  return Object.entries(phases).sort(([a], [b]) => phaseIndex(a) - phaseIndex(b) || a.localeCompare(b));
}

/** Several lines describing a fleet: `fleet-status`, and the end of `fleet --wait` / `fleet-cancel`. */
export function fleetDetails(
  workflowId: string,
  status: string,
  progress: FleetProgress,
  runningPhases?: Readonly<Record<string, number>>
): string {
  const { counts } = progress;
  const lines = [
    `fleet      ${progress.fleetId}`,
    `workflow   ${workflowId}${progress.runs > 1 ? ` (run ${progress.runs})` : ''}`,
    `status     ${status}`,
    `members    ${progress.total}: ${progress.started} started, ${progress.running} running, ${fleetFinished(progress)} ended`,
    `enabled    ${counts.enabled} (${enabledParts(counts)})`,
    `drifted    ${counts.drifted} (enabled before, dropped by a KDF restart)`,
    `failed     ${counts.failed}`,
    `timed out  ${counts.timed_out}`,
    `cancelled  ${counts.cancelled}`,
  ];
  if (progress.cancel) {
    lines.push(`fleet cancelled by ${progress.cancel.requestedBy} at ${progress.cancel.at}: ${progress.cancel.reason}`);
  }
  const phases = runningPhases ? sortedPhaseCounts(runningPhases) : [];
  if (phases.length > 0) {
    lines.push('running members by phase');
    const width = Math.max(...phases.map(([phase]) => phase.length + phaseIndexText(phase).length));
    for (const [phase, count] of phases) lines.push(`  ${`${phase}${phaseIndexText(phase)}`.padEnd(width)}  ${count}`);
  }
  return lines.join('\n') + '\n';
}

/** The failures table at the end of a fleet, or a line saying there were none. */
export function fleetFailuresReport(progress: FleetProgress): string {
  if (progress.failures.length === 0) return 'no failures\n';
  const failed = progress.counts.failed + progress.counts.timed_out + progress.counts.cancelled;
  const shown = failed > progress.failures.length ? ` (the latest ${progress.failures.length} of ${failed})` : '';
  return `failures${shown}\n${fleetFailuresTable(progress.failures)}`;
}

/** Live progress of a fleet. */
export interface FleetView {
  update(progress: FleetProgress): void;
  stop(): void;
}

export const silentFleetView = (): FleetView => ({ update: () => undefined, stop: () => undefined });

/**
 * One summary line whenever the counts change, and at least every `everyMs` while nothing does: for logs and
 * pipes.
 */
export function fleetLineView(out: Writable, everyMs = 30_000, now: () => number = Date.now): FleetView {
  let last = '';
  let lastAt = 0;
  return {
    update(progress) {
      const line = fleetSummary(progress);
      if (line === last && now() - lastAt < everyMs) return;
      last = line;
      lastAt = now();
      out.write(`${clock()}  ${progress.fleetId}  ${line}\n`);
    },
    stop: () => undefined,
  };
}

/** One bar for the whole fleet: members ended out of the total, with the counts (interactive terminals). */
export function fleetBarView(out: Writable): FleetView {
  const bar = new cliProgress.SingleBar(
    barOptions(out, ' {fleet} [{bar}] {value}/{total} ended  {summary}'),
    cliProgress.Presets.shades_classic
  );
  let started = false;
  return {
    update(progress) {
      const payload = {
        fleet: progress.fleetId,
        summary:
          `running ${progress.running} · enabled ${progress.counts.enabled} · failed ${progress.counts.failed} · ` +
          `timed out ${progress.counts.timed_out} · cancelled ${progress.counts.cancelled}`,
      };
      if (!started) {
        bar.start(progress.total, fleetFinished(progress), payload);
        started = true;
      } else {
        bar.setTotal(progress.total);
        bar.update(fleetFinished(progress), payload);
      }
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}
