/**
 * The checks a chaos run makes once its fleet is done, per (node, ticker) pair and over every node.
 *
 * Correct outcome: what the enablement reports is the node's real state, and what the member's ticker makes it.
 *   - every kind: a readable report for this node and ticker, not `alreadyEnabled` (no coin is enabled before
 *     its enablement), and the coin listed by the node's final `get_enabled_coins` exactly when the enablement
 *     (or the `cancelKdfTask` workflow it handed its task to) said the coin is enabled. A listed coin is not
 *     required when the node restarted after the workflow closed or after the ticker's last task ended Ok (a
 *     restart drops every coin; a restart right after an Ok reply is G3's case, where the Ok stands), nor when the
 *     run shows G3's two-restart residual (the id given to another ticker's task, whose Ok the enablement read just
 *     before a second restart);
 *   - `ok`: Completed, `enabled`; the report's task id names a task of its own ticker on a node that never
 *     restarted (ids are then unique), or is null only after an init in doubt (the coin was found enabled by
 *     preflight, activated by a task whose id the enablement never learned). Failed is accepted only as G3's
 *     documented residual, shown exactly by the run (the member's own task, running or ended Ok, a restart dropped it
 *     unread, and the restarted KDF gave its id to another ticker's task that failed), and reported apart;
 *   - `fail`: Failed, `failed` with the scripted `Internal` error;
 *   - `refused`: Failed, `failed` with KDF's synchronous `Internal` (not segwit), no task started, and one init
 *     handled by the node, plus at most one per init in doubt (a refusal whose reply was lost is sent again);
 *   - `hang`: Failed `timed_out` (`EnablementTimedOut`), or Completed `enabled` when a `complete-on-cancel` fault
 *     let the task complete as compensation cancelled it; Failed as G3's residual, as for `ok`;
 *   - a report whose compensation was `handed_off` names `cancel-kdf-task/<node>/<ticker>/<taskId>`, and that
 *     workflow Completed with the node's answer (not `unconfirmed`).
 *
 * Duplicate activations (G4): per simulated KDF process (the restarts split a node's life into processes), the
 * tasks of the ticker that ended Ok; each one beyond the first in a process is a duplicate. KDF lets one task of a
 * ticker register the coin, so an init sent again after a lost reply may start a second task, but never a second
 * Ok. Tasks started per pair are reported for information.
 *
 * Left running: no task may still be InProgress on a node at the end (compensation workflows done), except on a
 * hanging ticker whose enablement had inits in doubt, at most one per such init: a task started by an init whose
 * reply was lost is unknown to the enablement, so nothing cancels it, and a hanging activation never ends by
 * itself (G4 "which tasks can be left running").
 *
 * @module
 */
import type { TaskSummary } from '../simulator/index.js';
import type { CompensationReport, EnablementReport } from '../workflows/api.js';
import { compensationWorkflowId, FailureType } from '../workflows/api.js';
import { SCRIPTED_ERROR, type MemberKind, type TickerPlan } from './layout.js';
import type { NodeObserver } from './observer.js';

/** A `cancelKdfTask` workflow as it ended (or not) by the end of the run. */
export interface CompensationOutcome {
  workflowId: string;
  /** Visibility status name (COMPLETED, FAILED, RUNNING, …), or MISSING. */
  status: string;
  report?: CompensationReport;
  error?: string;
}

export interface PairResult {
  node: string;
  ticker: string;
  kind: MemberKind;
  expected: string;
  /** Visibility status of the enablement workflow, MISSING when absent. */
  status: string;
  outcome: string | undefined;
  correct: boolean;
  /** Why it is not correct. */
  problems: string[];
  /** KDF tasks started for the ticker, over every process of the node. */
  started: number;
  /** `task::enable_lightning::init` calls the node handled for the ticker. */
  initCalls: number;
  /** Tasks that ended Ok, per process of the node. */
  okTasks: number[];
  duplicates: number;
  initsInDoubt: number;
  /** Whether the node's final `get_enabled_coins` lists the ticker; undefined when unreadable. */
  coinListed: boolean | undefined;
  compensation?: string;
  /** The report's error, when the member did not end enabled. */
  failure?: string;
  /** Why an outcome that is not the member's expected one is G3's documented residual (then not a problem). */
  residual?: string;
}

export interface PairInput {
  observer: NodeObserver;
  plan: TickerPlan;
  entry: { status: string; closeTime: number | undefined } | undefined;
  report: EnablementReport | undefined;
  reportError: string | undefined;
  coinListed: boolean | undefined;
  /** The `cancelKdfTask` workflow the report names, when handed off. */
  compensation: CompensationOutcome | undefined;
  /** The final process's tasks. */
  finalTasks: readonly TaskSummary[];
}

const EXPECTED: Record<MemberKind, string> = {
  ok: 'enabled',
  fail: `failed (Internal: ${SCRIPTED_ERROR})`,
  refused: 'failed (Internal: not segwit), 1 init',
  hang: 'timed_out, or enabled by complete-on-cancel (G3 residual apart)',
};

export function checkPair(input: PairInput): PairResult {
  const { observer, plan, entry, report, coinListed, compensation } = input;
  const { ticker, kind } = plan;
  const problems: string[] = [];
  const status = entry?.status ?? 'MISSING';
  const outcome = report?.outcome;
  const initsInDoubt = report?.initsInDoubt ?? 0;
  const started = observer.sum(ticker, 'tasksStartedByTicker');
  const initCalls = observer.sum(ticker, 'initCallsByTicker');
  const okTasks = observer.okTasksPerProcess(ticker);
  const error = report?.error;
  const failure = error ? `${error.type}: ${error.message}` : undefined;
  let residual: string | undefined;
  const expect = (condition: boolean, problem: string) => {
    if (!condition) problems.push(problem);
  };

  if (report === undefined) {
    problems.push(`no report (${input.reportError ?? 'workflow not closed'})`);
  } else {
    expect(report.node === observer.id && report.ticker === ticker, `report names ${report.node}/${report.ticker}`);
    expect(!report.alreadyEnabled, 'reported alreadyEnabled, but no coin is enabled before its enablement');
    const got = `${status}/${outcome}${failure ? ` (${failure})` : ''}`;
    switch (kind) {
      case 'ok':
        residual = g3Residual(observer, ticker, report);
        expect(
          (status === 'COMPLETED' && outcome === 'enabled') || (status === 'FAILED' && residual !== undefined),
          `got ${got}`
        );
        break;
      case 'fail':
        expect(
          status === 'FAILED' &&
            outcome === 'failed' &&
            error?.type === 'Internal' &&
            error.message.includes(SCRIPTED_ERROR),
          `got ${got}`
        );
        break;
      case 'refused':
        expect(
          status === 'FAILED' && outcome === 'failed' && error?.type === 'Internal' && /segwit/.test(error.message),
          `got ${got}`
        );
        expect(started === 0, `${started} tasks started`);
        expect(initCalls >= 1 && initCalls <= 1 + initsInDoubt, `${initCalls} init calls (${initsInDoubt} in doubt)`);
        break;
      case 'hang':
        residual = g3Residual(observer, ticker, report);
        expect(
          (status === 'COMPLETED' && outcome === 'enabled') ||
            (status === 'FAILED' && outcome === 'timed_out' && error?.type === FailureType.timedOut) ||
            (status === 'FAILED' && residual !== undefined),
          `got ${got}`
        );
        break;
    }
    if (outcome === 'enabled') checkTaskId(input, report, problems);
    else if (problems.length > 0 && report.taskId !== null) problems.push(...reusedId(observer, ticker, report.taskId));
    const handedOff = report.compensation?.result === 'handed_off';
    if (handedOff) {
      const named = report.taskId === null ? undefined : compensationWorkflowId(observer.id, ticker, report.taskId);
      expect(report.compensation?.workflowId === named, `handed off to ${report.compensation?.workflowId}`);
      expect(
        compensation?.status === 'COMPLETED' && compensation.report?.result !== 'unconfirmed',
        `compensation workflow ${compensation?.status ?? 'MISSING'}${compensation?.error ? `: ${compensation.error}` : ''}`
      );
    }

    // the report is the node's real state
    const claimsEnabled = outcome === 'enabled' || (handedOff && compensation?.report?.enabled === true);
    const since = Math.min(entry?.closeTime ?? Infinity, observer.lastOkAt(ticker) ?? Infinity);
    const restartedSince = observer.restartTimes().some((time) => time > since);
    if (coinListed === undefined) problems.push('the node did not answer get_enabled_coins');
    else if (claimsEnabled && !coinListed && !restartedSince) {
      residual = g3OkResidual(observer, ticker, report);
      if (residual === undefined) problems.push('reported enabled, coin not enabled');
    } else if (!claimsEnabled && coinListed) problems.push(`reported ${outcome}, but the coin is enabled`);
  }

  return {
    node: observer.id,
    ticker,
    kind,
    expected: EXPECTED[kind],
    status,
    outcome,
    correct: problems.length === 0,
    problems,
    started,
    initCalls,
    okTasks,
    duplicates: okTasks.reduce((sum, ok) => sum + Math.max(0, ok - 1), 0),
    initsInDoubt,
    coinListed,
    ...(report?.compensation && {
      compensation: `${report.compensation.result}${compensation ? ` → ${compensation.status}${compensation.report ? ` ${compensation.report.result}` : ''}` : ''}`,
    }),
    ...(failure && { failure }),
    ...(residual && { residual }),
  };
}

/** An enabled report's task is one of its own ticker's (where ids are unique), or null after an init in doubt. */
function checkTaskId(input: PairInput, report: EnablementReport, problems: string[]): void {
  const { observer, plan } = input;
  if (report.taskId === null) {
    if ((report.initsInDoubt ?? 0) === 0) problems.push('enabled with no task id and no init in doubt');
    return;
  }
  if (observer.processes.length > 1) return; // the node restarted: ids were reused
  const task = input.finalTasks.find((candidate) => candidate.id === report.taskId);
  if (task?.ticker !== plan.ticker) {
    problems.push(`reported task ${report.taskId}, which belongs to ${task?.ticker ?? 'no ticker'}`);
  }
}

/**
 * G3's documented residual (docs/guarantees.md), when the run shows exactly that: a restart dropped the enablement's
 * own task (running, or ended Ok and unread) before the enablement read it again, and the restarted KDF gave the id
 * to another ticker's task, which failed: the enablement reports that task's error. The outcome (not enabled) is
 * the node's state, as the restart dropped the task and any coin it had registered.
 */
function g3Residual(observer: NodeObserver, ticker: string, report: EnablementReport): string | undefined {
  const taskId = report.taskId;
  if (report.outcome !== 'failed' || taskId === null) return undefined;
  const own = ownProcess(observer, ticker, taskId);
  if (own === undefined) return undefined;
  for (const process of observer.processes) {
    const other = process.tasks.find((task) => task.id === taskId && task.ticker !== ticker);
    if (process.generation > own.generation && other?.state === 'Error') {
      return (
        `a restart dropped its task ${taskId} (KDF process ${own.generation}) before it was read again, and the ` +
        `id read ${other.ticker}'s failed task ${taskId} in process ${process.generation} (G3 residual)`
      );
    }
  }
  return undefined;
}

/**
 * G3's residual with two restarts (docs/guarantees.md): a restart dropped the enablement's own task, the restarted
 * KDF gave its id to another ticker's task, and the node restarted again right after that task's Ok, which the
 * enablement read. The second restart left the id unknown, so the Ok stood as this enablement's.
 */
function g3OkResidual(observer: NodeObserver, ticker: string, report: EnablementReport): string | undefined {
  const taskId = report.taskId;
  if (report.outcome !== 'enabled' || taskId === null) return undefined;
  const own = ownProcess(observer, ticker, taskId);
  if (own === undefined) return undefined;
  const other = observer.okEvents.find(
    (event) =>
      event.taskId === taskId &&
      event.ticker !== ticker &&
      event.generation > own.generation &&
      observer.processes.find((process) => process.generation === event.generation)?.end !== 'final'
  );
  if (other === undefined) return undefined;
  return (
    `a restart dropped its task ${taskId} (KDF process ${own.generation}), the id read ${other.ticker}'s Ok in ` +
    `process ${other.generation}, and the node restarted again before the Ok could be checked (G3 residual)`
  );
}

/** The KDF process in which the enablement's own task (`ticker`, `taskId`) ran, as the snapshots saw it. */
const ownProcess = (observer: NodeObserver, ticker: string, taskId: number) =>
  observer.processes.find((process) => process.tasks.some((task) => task.id === taskId && task.ticker === ticker));

/**
 * Where the report's task id was another ticker's task in a later KDF process (a restart numbers tasks from 0
 * again) while this ticker's own task with that id had ended Ok: the enablement then read the other task's status
 * (docs/guarantees.md G3, the residual).
 */
function reusedId(observer: NodeObserver, ticker: string, taskId: number): string[] {
  const own = observer.okEvents.find((event) => event.ticker === ticker && event.taskId === taskId);
  return observer.processes.flatMap((process) => {
    const task = process.tasks.find((candidate) => candidate.id === taskId);
    if (task === undefined || task.ticker === ticker) return [];
    const before = own === undefined ? '' : `, after its own task ${taskId} ended Ok in process ${own.generation}`;
    return [
      `task id ${taskId} was ${task.ticker}'s (${task.state}) in KDF process ${process.generation}${before}` +
        (own !== undefined && own.generation < process.generation ? ' (G3 residual: a reused id read)' : ''),
    ];
  });
}

export interface RunningTask {
  node: string;
  ticker: string;
  taskId: number;
}

/**
 * Tasks still InProgress in a node's final process: `explained` are those of hanging tickers covered by their
 * enablement's inits in doubt (see the module comment), `unexplained` the rest.
 */
export function runningTasks(
  observer: NodeObserver,
  plans: readonly TickerPlan[],
  finalTasks: readonly TaskSummary[],
  reports: ReadonlyMap<string, EnablementReport>
): { explained: RunningTask[]; unexplained: RunningTask[] } {
  const explained: RunningTask[] = [];
  const unexplained: RunningTask[] = [];
  const allowance = new Map(
    plans.map(({ ticker, kind }) => [ticker, kind === 'hang' ? (reports.get(ticker)?.initsInDoubt ?? 0) : 0])
  );
  for (const task of finalTasks) {
    if (task.state !== 'InProgress') continue;
    const left = allowance.get(task.ticker) ?? 0;
    const running = { node: observer.id, ticker: task.ticker, taskId: task.id };
    if (left > 0) {
      allowance.set(task.ticker, left - 1);
      explained.push(running);
    } else {
      unexplained.push(running);
    }
  }
  return { explained, unexplained };
}
