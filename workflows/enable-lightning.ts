import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  condition,
  isCancellation,
  log,
  metricMeter,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { EnablementActivities, PollResult, TaskError, TaskState } from '../activities/index.js';
import {
  ACTIVATING_PHASE,
  cancelSignal,
  FailureType,
  KdfNodeAttribute,
  KdfPhaseAttribute,
  KdfTaskIdAttribute,
  KdfTickerAttribute,
  Outcome,
  progressQuery,
  REPORT_MEMO_KEY,
  STARTING_PHASE,
  type CancelRequest,
  type EnableLightningInput,
  type EnablementProgress,
  type EnablementReport,
  type PhaseRecord,
  type PollPolicy,
} from './api.js';

const DEFAULT_TIMEOUT_MS = 15 * 60_000;
const DEFAULT_POLL: PollPolicy = { initialIntervalMs: 1_000, maxIntervalMs: 15_000, backoffCoefficient: 1.5 };
/**
 * A KDF phase reaches the workflow (progress, KdfPhase) once it has lasted this long: a stuck activation shows
 * where it is stuck, while a normal one costs the same history however long its phases take. Until then the
 * poll's heartbeat details are the live view.
 */
const PHASE_REPORT_AFTER_MS = 30_000;
/**
 * After KDF forgets the task (a restart, or a worker crash right after the read that forgot a finished task),
 * start the activation again at most this many times.
 */
const MAX_REINITS = 2;

const kdf = proxyActivities<EnablementActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});
/** Compensation must end even when KDF is unreachable: bounded attempts, then the report says so. */
const compensation = proxyActivities<EnablementActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds', maximumAttempts: 5 },
});
const poller = proxyActivities<EnablementActivities>({
  startToCloseTimeout: '1 day',
  heartbeatTimeout: '20 seconds',
  // Compensation must not wait for the poll to notice its cancellation at its next heartbeat.
  cancellationType: ActivityCancellationType.TRY_CANCEL,
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

type StopTrigger = 'signal' | 'timeout' | 'temporal';
type Finish = { kind: 'already_enabled' } | Extract<TaskState, { kind: 'ok' | 'error' }>;

/** Enables Lightning for one ticker on one KDF node; see design.md "The enablement workflow". */
export async function enableLightning(input: EnableLightningInput): Promise<EnablementReport> {
  const settings = checkedSettings(input);
  const run = new EnablementRun(input);
  setHandler(progressQuery, () => run.progress(), { description: 'Phase, task id, phase history, polls, last error' });
  setHandler(cancelSignal, (reason, requestedBy) => run.requestCancel(reason, requestedBy), {
    description: 'Stop the enablement and cancel its KDF task (args: reason, requestedBy)',
  });
  upsertSearchAttributes([
    { key: KdfNodeAttribute, value: input.node },
    { key: KdfTickerAttribute, value: input.ticker },
    { key: KdfPhaseAttribute, value: run.phase },
  ]);
  run.publishDetails();
  // in flight = started − finished (kdf_enablements_total), summed over workers
  metricMeter.createCounter('kdf_enablements_started', 'enablements', 'Enablements started').add(1);

  const activation = new CancellationScope();
  const activated = activation.run(() => activate(run, settings.poll));
  const stopped = condition(() => run.cancel !== undefined, settings.timeoutMs).then((signalled): StopTrigger =>
    signalled ? 'signal' : 'timeout'
  );
  let trigger: StopTrigger;
  try {
    const first = await Promise.race([activated.then(() => null), stopped]);
    if (first === null) return conclude(run, null);
    trigger = first;
  } catch (error) {
    if (!isCancellation(error)) return conclude(run, null, error);
    trigger = 'temporal';
  }
  return compensate(run, trigger, activation, activated);
}

async function activate(run: EnablementRun, policy: PollPolicy): Promise<void> {
  const { node, ticker, platformCoin, activationParams } = run.input;
  for (let reinits = 0; ; reinits++) {
    // An init in flight always completes, so a stop that arrives meanwhile still learns the task id to cancel.
    const start = await CancellationScope.nonCancellable(() =>
      kdf.startActivation({ node, ticker, activationParams, ...(platformCoin !== undefined && { platformCoin }) })
    );
    run.retries += start.attempt - 1;
    if (start.kind === 'already_enabled') {
      run.finish = { kind: 'already_enabled' };
      return;
    }
    run.startTask(start.taskId);
    const state = await pollToEnd(run, policy, start.startedAt);
    if (state.kind !== 'lost') {
      run.finish = state;
      return;
    }
    // KDF forgot the task (restarted): the next start finds the coin if it was registered, else starts again.
    if (reinits === MAX_REINITS) {
      if ((await kdf.preflight({ node, ticker })).alreadyEnabled) {
        run.finish = { kind: 'already_enabled' };
        return;
      }
      throw ApplicationFailure.create({
        type: FailureType.taskLost,
        message: `KDF lost task ${start.taskId} again after ${MAX_REINITS} re-init; is node ${node} restarting?`,
        nonRetryable: true,
      });
    }
    run.noteError({ type: FailureType.taskLost, message: `KDF lost task ${start.taskId}; starting again` });
  }
}

async function pollToEnd(
  run: EnablementRun,
  policy: PollPolicy,
  startedAt: string
): Promise<Exclude<TaskState, { kind: 'in_progress' }>> {
  for (;;) {
    const result = await poller.pollTask({
      node: run.input.node,
      ticker: run.input.ticker,
      taskId: run.taskIdOrThrow(),
      startedAt,
      knownPhase: run.kdfPhase,
      policy,
      reportAfterMs: PHASE_REPORT_AFTER_MS,
    });
    run.recordPoll(result);
    if (result.state.kind !== 'in_progress') return result.state;
  }
}

/** Deadline, ops signal and Temporal cancellation all end here: stop polling, cancel the KDF task, reconcile. */
async function compensate(
  run: EnablementRun,
  trigger: StopTrigger,
  activation: CancellationScope,
  activated: Promise<void>
): Promise<EnablementReport> {
  run.enterPhase('cancelling');
  activation.cancel();
  const activationError = await activated.then(
    () => undefined,
    (error: unknown) => error
  );
  if (run.finish) return conclude(run, trigger);
  if (activationError !== undefined && !isCancellation(activationError)) return conclude(run, trigger, activationError);
  const taskId = run.taskId;
  if (taskId !== null) {
    await CancellationScope.nonCancellable(() => cancelAndReconcile(run, taskId));
  }
  return conclude(run, trigger);
}

async function cancelAndReconcile(run: EnablementRun, taskId: number): Promise<void> {
  const { node, ticker } = run.input;
  try {
    const result = await compensation.cancelTask({ node, taskId });
    run.compensation = { result };
    if (result === 'finished') {
      // The task ended before the cancel reached it: report what it really did.
      const state = await compensation.readFinishedTask({ node, taskId });
      if (state.kind === 'ok' || state.kind === 'error') run.finish = state;
    } else if (result === 'not_found' && (await compensation.preflight({ node, ticker })).alreadyEnabled) {
      run.finish = { kind: 'already_enabled' };
    }
  } catch (error) {
    const failure = failureOf(error);
    run.compensation = { result: 'failed', error: { type: failure.type, message: failure.message } };
    log.error('compensation failed: the KDF task may still be running', { node, ticker, taskId, ...failure });
  }
}

/** Turns the run's final state into the result (enabled) or the failure that ends the workflow. */
async function conclude(run: EnablementRun, trigger: StopTrigger | null, error?: unknown): Promise<EnablementReport> {
  const finish = run.finish;
  if (finish?.kind === 'ok' || finish?.kind === 'already_enabled') {
    return run.end(Outcome.enabled, finish.kind === 'ok' ? finish.result : undefined);
  }
  if (finish?.kind === 'error') throw endWithFailure(run, Outcome.failed, finish.error);
  if (error !== undefined) {
    if (isCancellation(error) && trigger === null) throw error;
    throw endWithFailure(run, Outcome.failed, failureOf(error));
  }
  if (trigger === 'timeout') {
    const message = `not enabled within ${run.timeoutMs} ms; KDF task cancelled`;
    throw endWithFailure(run, Outcome.timedOut, { type: FailureType.timedOut, message });
  }
  const by = run.cancel ? `${run.cancel.requestedBy}: ${run.cancel.reason}` : 'a Temporal cancellation request';
  const report = run.end(Outcome.cancelled);
  if (trigger === 'temporal') {
    upsertMemo({ [REPORT_MEMO_KEY]: report });
    throw new CancelledFailure(`enablement cancelled by ${by}`, [report]);
  }
  throw ApplicationFailure.create({
    type: FailureType.cancelled,
    message: `enablement cancelled by ${by}`,
    nonRetryable: true,
    details: [report],
  });
}

function endWithFailure(run: EnablementRun, outcome: Outcome, error: TaskError): ApplicationFailure {
  run.error = error;
  const report = run.end(outcome);
  return ApplicationFailure.create({ type: error.type, message: error.message, nonRetryable: true, details: [report] });
}

/** The KDF (or our own) failure type behind an activity failure. */
function failureOf(error: unknown): TaskError {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  if (cause instanceof ApplicationFailure) {
    return { type: cause.type ?? 'ApplicationFailure', message: cause.message, data: cause.details?.[0] };
  }
  if (cause instanceof Error) return { type: cause.name, message: cause.message };
  return { type: 'UnknownError', message: String(cause) };
}

interface Settings {
  timeoutMs: number;
  poll: PollPolicy;
}

/** Plain checks (no zod in workflow code); the client validates fully before starting. */
function checkedSettings(input: EnableLightningInput): Settings {
  const problems: string[] = [];
  const nonEmpty = (value: unknown, field: string) => {
    if (typeof value !== 'string' || value.trim() === '') problems.push(`${field} must be a non-empty string`);
  };
  const positive = (value: unknown, field: string) => {
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) problems.push(`${field} must be > 0`);
  };
  nonEmpty(input?.node, 'node');
  nonEmpty(input?.ticker, 'ticker');
  nonEmpty(input?.activationParams?.name, 'activationParams.name');
  const timeoutMs = input?.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  positive(timeoutMs, 'timeoutMs');
  const poll = { ...DEFAULT_POLL, ...input?.poll };
  positive(poll.initialIntervalMs, 'poll.initialIntervalMs');
  positive(poll.maxIntervalMs, 'poll.maxIntervalMs');
  if (!(poll.backoffCoefficient >= 1)) problems.push('poll.backoffCoefficient must be >= 1');
  if (poll.maxIntervalMs < poll.initialIntervalMs)
    problems.push('poll.maxIntervalMs must be >= poll.initialIntervalMs');
  if (problems.length > 0) {
    throw ApplicationFailure.create({
      type: FailureType.invalidInput,
      message: `invalid enablement input: ${problems.join('; ')}`,
      nonRetryable: true,
    });
  }
  return { timeoutMs, poll };
}

/** The workflow's state: what the progress query, the UI details, the report and the metrics are made from. */
class EnablementRun {
  phase: string = STARTING_PHASE;
  kdfPhase: string | null = null;
  taskId: number | null = null;
  phases: PhaseRecord[] = [];
  pollCount = 0;
  retries = 0;
  lastError: EnablementProgress['lastError'];
  cancel: CancelRequest | undefined;
  finish: Finish | undefined;
  error: TaskError | undefined;
  compensation: EnablementReport['compensation'];
  outcome: Outcome | undefined;
  readonly timeoutMs: number;

  constructor(readonly input: EnableLightningInput) {
    this.timeoutMs = input.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  taskIdOrThrow(): number {
    if (this.taskId === null) throw ApplicationFailure.nonRetryable('polling before init', 'KdfLightningBug');
    return this.taskId;
  }

  /** The task id is also a search attribute: the claim a retried init elsewhere checks before adopting a task. */
  startTask(taskId: number): void {
    this.taskId = taskId;
    this.kdfPhase = null;
    this.phase = ACTIVATING_PHASE;
    upsertSearchAttributes([
      { key: KdfPhaseAttribute, value: this.phase },
      { key: KdfTaskIdAttribute, value: taskId },
    ]);
    this.publishDetails();
  }

  requestCancel(reason: string, requestedBy: string): void {
    this.cancel ??= { reason: String(reason ?? ''), requestedBy: String(requestedBy ?? ''), at: nowIso() };
    this.publishDetails();
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

  end(outcome: Outcome, activation?: Extract<TaskState, { kind: 'ok' }>['result']): EnablementReport {
    this.outcome = outcome;
    this.phase = outcome;
    upsertSearchAttributes([{ key: KdfPhaseAttribute, value: outcome }]);
    const durations = this.durations();
    recordMetrics(outcome, durations);
    this.publishDetails();
    return {
      outcome,
      node: this.input.node,
      ticker: this.input.ticker,
      taskId: this.taskId,
      alreadyEnabled: this.finish?.kind === 'already_enabled',
      ...(activation && activation),
      phases: this.phases,
      durations,
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
    if (this.phases.length > 0) lines.push('', '| phase | since |', '| --- | --- |');
    for (const record of this.phases) lines.push(`| ${record.phase} | ${record.at} |`);
    if (this.lastError) lines.push('', `Last error: \`${this.lastError.type}\` ${this.lastError.message}`);
    if (this.cancel) lines.push('', `Cancel requested by ${this.cancel.requestedBy}: ${this.cancel.reason}`);
    setCurrentDetails(lines.join('\n'));
  }
}

const nowIso = (): string => new Date().toISOString();

/** Emitted through the worker's Runtime, next to the SDK's own metrics (skipped during replay). */
function recordMetrics(outcome: Outcome, durations: Record<string, number>): void {
  metricMeter.createCounter('kdf_enablements', 'enablements', 'Finished enablements by outcome').add(1, { outcome });
  const phaseDuration = metricMeter.createHistogram('kdf_phase_duration', 'int', 'ms', 'Time spent in each phase');
  for (const [phase, ms] of Object.entries(durations)) phaseDuration.record(ms, { phase });
}
