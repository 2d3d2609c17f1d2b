import { metricMeter, setCurrentDetails, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { ActivationResult, PollResult, TaskError } from '../activities/index.js';
import {
  ACTIVATING_PHASE,
  cancelRequestOf,
  KdfPhaseAttribute,
  KdfTaskIdAttribute,
  STARTING_PHASE,
  type CancelRequest,
  type EnableLightningInput,
  type EnablementProgress,
  type EnablementReport,
  type Outcome,
  type PhaseRecord,
  type TaskHandle,
} from './api.js';
import { countOne, WORKFLOW_COUNTERS } from './metrics.js';

/** How the activation ended, when it did: the coin enabled (by this enablement or before it), or the task failed. */
export type Finish =
  { kind: 'enabled'; alreadyEnabled: boolean; result?: ActivationResult } | { kind: 'error'; error: TaskError };

/** What stopped the enablement before its activation ended: its deadline, or a Temporal cancellation. */
export type StopReason = 'timeout' | 'cancel';

/** The workflow's state: what the progress query, the UI details, the report and the metrics are made from. */
export class EnablementRun {
  phase: string = STARTING_PHASE;
  kdfPhase: string | null = null;
  taskId: number | null = null;
  task: TaskHandle | undefined;
  /** The known task may still be running: compensation cancels it unless the coin is enabled. */
  taskRunning = false;
  phases: PhaseRecord[] = [];
  pollCount = 0;
  retries = 0;
  initsInDoubt = 0;
  /** Tasks KDF forgot (a restart) before they finished. */
  lostTasks = 0;
  lastError: EnablementProgress['lastError'];
  cancel: CancelRequest | undefined;
  stoppedBy: StopReason | undefined;
  finish: Finish | undefined;
  error: TaskError | undefined;
  compensation: EnablementReport['compensation'];
  outcome: Outcome | undefined;

  constructor(readonly input: EnableLightningInput) {}

  stop(reason: StopReason): void {
    if (this.stoppedBy === undefined && reason === 'timeout') {
      countOne(WORKFLOW_COUNTERS.deadlinesPassed, { node: this.input.node });
    }
    this.stoppedBy ??= reason;
    this.publishDetails();
  }

  noteCancel(reason: string, requestedBy: string): void {
    this.cancel ??= cancelRequestOf(reason, requestedBy, nowIso());
    this.publishDetails();
  }

  /** v2 enablements: the task and the phase go to visibility as soon as init answers. */
  startTask(taskId: number, startedAt: string): void {
    this.learnTask({ taskId, startedAt });
    upsertSearchAttributes([
      { key: KdfPhaseAttribute, value: this.phase },
      { key: KdfTaskIdAttribute, value: taskId },
    ]);
  }

  /** From v5 on the task id reaches operators through the activity's heartbeat and the report, not visibility. */
  learnTask(task: TaskHandle): void {
    this.taskId = task.taskId;
    this.task = task;
    this.taskRunning = true;
    this.kdfPhase = null;
    this.phase = ACTIVATING_PHASE;
    this.publishDetails();
  }

  /** The task to follow: the known one while it may still be running. */
  runningTask(): TaskHandle | undefined {
    return this.taskRunning ? this.task : undefined;
  }

  enterPhase(phase: string): void {
    this.phase = phase;
    upsertSearchAttributes([{ key: KdfPhaseAttribute, value: phase }]);
    this.publishDetails();
  }

  recordPoll(result: PollResult): void {
    this.pollCount += result.polls;
    this.retries += result.attempt - 1;
    if (result.lastError) this.lastError = result.lastError;
    this.phases.push(...result.phases);
    const latest = result.phases.at(-1)?.phase;
    if (result.state.kind !== 'in_progress') this.taskRunning = false;
    if (result.state.kind === 'in_progress' && latest !== undefined) {
      this.kdfPhase = latest;
      this.enterPhase(latest);
    } else {
      this.kdfPhase = latest ?? this.kdfPhase;
      this.publishDetails();
    }
  }

  noteError(error: TaskError): void {
    this.lastError = { type: error.type, message: error.message, at: nowIso() };
    this.publishDetails();
  }

  durations(): Record<string, number> {
    const end = Date.now();
    return Object.fromEntries(
      this.phases.map((record, index) => {
        const next = this.phases[index + 1];
        return [record.phase, (next ? Date.parse(next.at) : end) - Date.parse(record.at)];
      })
    );
  }

  end(outcome: Outcome): EnablementReport {
    this.outcome = outcome;
    this.phase = outcome;
    upsertSearchAttributes([{ key: KdfPhaseAttribute, value: outcome }]);
    const durations = this.durations();
    recordMetrics(this.input.node, outcome, durations, this.stoppedBy === 'timeout');
    this.publishDetails();
    const finish = this.finish;
    return {
      outcome,
      node: this.input.node,
      ticker: this.input.ticker,
      taskId: this.taskId,
      alreadyEnabled: finish?.kind === 'enabled' && finish.alreadyEnabled,
      ...(finish?.kind === 'enabled' && finish.result),
      phases: this.phases,
      durations,
      initsInDoubt: this.initsInDoubt,
      ...(this.error && { error: this.error }),
      ...(this.cancel && { cancel: this.cancel }),
      ...(this.compensation && { compensation: this.compensation }),
    };
  }

  progress(): EnablementProgress {
    return {
      node: this.input.node,
      ticker: this.input.ticker,
      phase: this.phase,
      taskId: this.taskId,
      phases: this.phases,
      pollCount: this.pollCount,
      retries: this.retries,
      ...(this.lastError && { lastError: this.lastError }),
      ...(this.cancel && { cancel: this.cancel }),
      ...(this.outcome && { outcome: this.outcome }),
    };
  }

  /** Markdown for the UI's "current details". */
  publishDetails(): void {
    const lines = [
      `**${this.input.ticker}** on node **${this.input.node}**: ${this.phase}`,
      `KDF task: ${this.taskId ?? 'not started'} · status polls: ${this.pollCount} · retries: ${this.retries}`,
    ];
    if (this.initsInDoubt > 0) lines.push(`Inits without a reply: ${this.initsInDoubt}`);
    if (this.phases.length > 0) lines.push('', '| phase | since |', '| --- | --- |');
    for (const record of this.phases) lines.push(`| ${record.phase} | ${record.at} |`);
    if (this.lastError) lines.push('', `Last error: \`${this.lastError.type}\` ${this.lastError.message}`);
    if (this.cancel) lines.push('', `Cancel requested by ${this.cancel.requestedBy}: ${this.cancel.reason}`);
    if (this.stoppedBy === 'timeout') lines.push('', 'Deadline passed: stopping');
    setCurrentDetails(lines.join('\n'));
  }
}

const nowIso = (): string => new Date().toISOString();

// Emitted through the worker's Runtime, next to the SDK's own metrics (skipped during replay). A deadline that passed
// and the end of that enablement are counted apart, so that an alert sees one that never ends (deploy/prometheus).
function recordMetrics(node: string, outcome: Outcome, durations: Record<string, number>, pastDeadline: boolean): void {
  countOne(WORKFLOW_COUNTERS.finished, { node, outcome });
  if (pastDeadline) countOne(WORKFLOW_COUNTERS.deadlinesSettled, { node });
  metricMeter
    .createHistogram('kdf_enablement_duration', 'int', 'ms', 'From the start request to the end, by outcome')
    .record(Math.max(0, Date.now() - workflowInfo().startTime.getTime()), { outcome });
  const phaseDuration = metricMeter.createHistogram('kdf_phase_duration', 'int', 'ms', 'Time spent in each phase');
  for (const [phase, ms] of Object.entries(durations)) phaseDuration.record(ms, { phase });
}
