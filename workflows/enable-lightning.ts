import {
  ActivityCancellationType,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  isCancellation,
  log,
  ParentClosePolicy,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  startChild,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type {
  ActivateResult,
  ActivationResult,
  EnablementActivities,
  PollResult,
  TaskError,
  TaskState,
} from '../activities/index.js';
import {
  cancelSignal,
  COMPENSATION_WORKFLOW,
  compensationWorkflowId,
  FailureType,
  KdfNodeAttribute,
  KdfPhaseAttribute,
  KdfTickerAttribute,
  Outcome,
  progressQuery,
  REPORT_MEMO_KEY,
  type CompensationInput,
  type EnableLightningInput,
  type EnablementReport,
  type PollPolicy,
} from './api.js';
import { afterTask, checkLostTasks, noTask, pause, taskInHeartbeat, unansweredInit } from './activation-steps.js';
import { EnablementRun } from './enablement-run.js';
import { failureOf } from './failures.js';
import { countOne, WORKFLOW_COUNTERS } from './metrics.js';

const DEFAULT_TIMEOUT_MS = 15 * 60_000;
const DEFAULT_COMPENSATION_WINDOW_MS = 15 * 60_000;
const DEFAULT_POLL: PollPolicy = { initialIntervalMs: 1_000, maxIntervalMs: 15_000, backoffCoefficient: 1.5 };
/**
 * A KDF phase reaches the workflow (progress, KdfPhase) once it has lasted this long: a stuck activation shows
 * where it is stuck, while a normal one costs the same history however long its phases take. Until then the
 * poll's heartbeat details are the live view.
 */
const PHASE_REPORT_AFTER_MS = 30_000;

/**
 * G1's budget after a stop is 60 s: an init on the wire (its attempt ends 30 s after it was scheduled) and then one
 * compensation attempt; what that attempt cannot confirm goes on in a workflow of its own, which retries.
 */
const COMPENSATION_ATTEMPT = '20 seconds';
const RETRY = { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '15 seconds' } as const;

/** One attempt: whether an init that got no answer started a task is the workflow's decision (design.md G4). */
const startOnce = proxyActivities<EnablementActivities>({
  scheduleToCloseTimeout: '30 seconds',
  heartbeatTimeout: '5 seconds',
  retry: { maximumAttempts: 1 },
});
const poller = proxyActivities<EnablementActivities>({
  startToCloseTimeout: '1 day',
  heartbeatTimeout: '20 seconds',
  // Compensation must not wait for the poll to notice its cancellation at its next heartbeat.
  cancellationType: ActivityCancellationType.TRY_CANCEL,
  retry: RETRY,
});
/**
 * v5: the one activity of the happy path, in the cancellable activation scope. One attempt, and the workflow's loop
 * decides about another (a Temporal retry waiting out its backoff would be cancelled by the server with no heartbeat
 * details, and the task id with them). A cancel waits for the activity to return what it knows (an init on the wire
 * is awaited, bounded by the node's request timeout); a dead worker is noticed at the heartbeat timeout, and its last
 * heartbeat names the task. docs/guarantees.md G1 has the bound.
 */
const activator = proxyActivities<EnablementActivities>({
  startToCloseTimeout: '1 day',
  heartbeatTimeout: '20 seconds',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: { maximumAttempts: 1 },
});
/** Enablements from v5 on run preflight, init and the poll in one activity (`activate`); v2 ones replay as before. */
const ONE_ACTIVITY_PATCH = 'one-activation-activity';

/** One attempt too: no retrying activity runs in the non-cancellable scope compensation needs. */
const compensation = proxyActivities<EnablementActivities>({
  scheduleToCloseTimeout: COMPENSATION_ATTEMPT,
  retry: { maximumAttempts: 1 },
});
/** Enables Lightning for one ticker on one KDF node; see design.md "The enablement workflow" and docs/guarantees.md. */
export async function enableLightning(input: EnableLightningInput): Promise<EnablementReport> {
  const settings = checkedSettings(input);
  const run = new EnablementRun(input);
  const activation = new CancellationScope();
  setHandler(progressQuery, () => run.progress(), { description: 'Phase, task id, phase history, polls, last error' });
  setHandler(cancelSignal, (reason, requestedBy) => run.noteCancel(reason, requestedBy), {
    description: 'Why and by whom (args: reason, requestedBy); the Temporal cancellation that follows stops it',
  });
  run.publishDetails();
  // in flight = started − finished (kdf_enablements_total), summed over workers
  countOne(WORKFLOW_COUNTERS.started, { node: input.node });
  CancellationScope.current().cancelRequested.catch(() => run.stop('cancel'));
  // from the start request, not from this first workflow task (a busy worker picks it up later)
  sleep(Math.max(1, workflowInfo().startTime.getTime() + settings.timeoutMs - Date.now())).then(
    () => {
      run.stop('timeout');
      activation.cancel();
    },
    () => undefined // the workflow was cancelled first
  );

  let failure: unknown;
  try {
    await activation.run(() =>
      patched(ONE_ACTIVITY_PATCH) ? activateInOne(run, settings) : activate(run, settings.poll)
    );
  } catch (error) {
    failure = error;
  } finally {
    await CancellationScope.nonCancellable(() => compensate(run, settings.compensationWindowMs));
  }
  return conclude(run, failure);
}

/** Until the coin is enabled, or a task of this enablement fails for its own reason, or KDF refuses. */
async function activate(run: EnablementRun, policy: PollPolicy): Promise<void> {
  const { node, ticker, platformCoin, activationParams } = run.input;
  for (let pauses = 0; ;) {
    checkLostTasks(run);
    // An init on the wire is awaited (one bounded attempt), so that a stop meanwhile learns the task to cancel.
    const init = await CancellationScope.nonCancellable(() =>
      startOnce
        .startTask({ node, ticker, activationParams, ...(platformCoin !== undefined && { platformCoin }) })
        .catch(unansweredInit)
    );
    if (init.kind !== 'started') {
      if (noTask(run, init) === 'done') return;
      await sleep(pause(pauses++));
      continue;
    }
    run.startTask(init.taskId, init.startedAt);
    const next = afterTask(run, init.taskId, await pollToEnd(run, init.taskId, policy, init.startedAt));
    if (next === 'done') return;
    if (next === 'pause') await sleep(pause(pauses++));
  }
}

/**
 * v5: as `activate`, with preflight, init and the poll in one activity per step. A failed activity that did not
 * follow a known task may have sent an init (its heartbeat, the only record, may have been lost): unless its last
 * heartbeat names the task, it counts as an init in doubt (G4: over-counting only makes a port clash non-final).
 */
async function activateInOne(run: EnablementRun, settings: Settings): Promise<void> {
  const { node, ticker, platformCoin, activationParams } = run.input;
  /** An Ok read for the followed task that its activity could not confirm: the next one starts from it (G5). */
  let okRead: ActivationResult | undefined;
  for (let pauses = 0; ;) {
    checkLostTasks(run);
    const following = run.runningTask();
    if (following === undefined) okRead = undefined;
    let result: ActivateResult;
    try {
      result = await activator.activate({
        node,
        ticker,
        activationParams,
        ...(platformCoin !== undefined && { platformCoin }),
        ...(following && { following }),
        ...(following && okRead && { okRead }),
        // a phase of the task followed: a new task's first phase would look like one going backwards (a restart)
        knownPhase: following ? run.kdfPhase : null,
        policy: settings.poll,
        reportAfterMs: PHASE_REPORT_AFTER_MS,
      });
    } catch (error) {
      if (isCancellation(error)) throw error;
      const failed = unansweredInit(error);
      const seen = taskInHeartbeat(error);
      if (following === undefined && seen !== undefined) run.learnTask(seen.task);
      else if (following === undefined) run.initsInDoubt += 1;
      okRead = seen?.okRead ?? okRead;
      run.retries += 1;
      run.noteError(failed.error);
      await sleep(pause(pauses++));
      continue;
    }
    if (result.kind !== 'followed') {
      if (noTask(run, result) === 'done') return;
      await sleep(pause(pauses++));
      continue;
    }
    // a task this activity started is new even under a known id: a restarted KDF numbers tasks from 0 again
    if (following === undefined) run.learnTask(result.task);
    run.recordPoll(result.poll);
    okRead = result.okRead;
    const state = result.poll.state;
    if (result.error !== undefined) {
      const { type, message, retryable } = result.error;
      if (!retryable) throw ApplicationFailure.create({ type, message, nonRetryable: true });
      run.retries += 1;
      run.noteError(result.error);
      await sleep(pause(pauses++));
    } else if (state.kind !== 'in_progress') {
      const next = afterTask(run, result.task.taskId, state);
      if (next === 'done') return;
      if (next === 'pause') await sleep(pause(pauses++));
    }
  }
}

async function pollToEnd(
  run: EnablementRun,
  taskId: number,
  policy: PollPolicy,
  startedAt: string
): Promise<Exclude<TaskState, { kind: 'in_progress' }>> {
  for (;;) {
    const result: PollResult = await poller.pollTask({
      node: run.input.node,
      ticker: run.input.ticker,
      taskId,
      startedAt,
      knownPhase: run.kdfPhase,
      policy,
      reportAfterMs: PHASE_REPORT_AFTER_MS,
    });
    run.recordPoll(result);
    if (result.state.kind !== 'in_progress') return result.state;
  }
}

/**
 * Runs whenever the workflow ends with its known task unfinished, whatever ended it (design.md G2): cancel unless
 * the coin is enabled, and let `get_enabled_coins` decide the outcome (G3). What the node does not confirm within
 * the enablement's bound goes on in a workflow of its own, named in the report.
 */
async function compensate(run: EnablementRun, windowMs: number): Promise<void> {
  if (run.taskId === null || !run.taskRunning) return;
  const { node, ticker } = run.input;
  const taskId = run.taskId;
  run.enterPhase('cancelling');
  try {
    const result = await compensation.compensateTask({ node, ticker, taskId, knownPhase: run.kdfPhase });
    run.taskRunning = false;
    run.compensation = { result: result.cancel };
    if (result.enabled) {
      const ok = result.state?.kind === 'ok' ? result.state.result : undefined;
      run.finish = { kind: 'enabled', alreadyEnabled: false, ...(ok && { result: ok }) };
    } else if (result.state?.kind === 'error') {
      run.finish = result.state;
    }
  } catch (error) {
    const { type, message } = failureOf(error);
    const workflowId = compensationWorkflowId(node, ticker, taskId);
    const args: [CompensationInput] = [{ node, ticker, taskId, knownPhase: run.kdfPhase, windowMs }];
    await startChild(COMPENSATION_WORKFLOW, {
      workflowId,
      args,
      parentClosePolicy: ParentClosePolicy.ABANDON,
      typedSearchAttributes: [
        { key: KdfNodeAttribute, value: node },
        { key: KdfTickerAttribute, value: ticker },
        { key: KdfPhaseAttribute, value: 'cancelling' },
      ],
      staticSummary: `Cancel KDF task ${taskId} (${ticker} on ${node}) left by its enablement`,
    }).catch((startError: unknown) => {
      if (!(startError instanceof WorkflowExecutionAlreadyStartedError)) throw startError;
    });
    run.compensation = { result: 'handed_off', workflowId, error: { type, message } };
    log.warn('compensation not confirmed in time: handed off', { node, ticker, taskId, workflowId, type, message });
  }
}

/** Turns the run's final state into the result (enabled) or the failure that ends the workflow. */
function conclude(run: EnablementRun, failure: unknown): EnablementReport {
  const finish = run.finish;
  if (finish?.kind === 'enabled') return run.end(Outcome.enabled);
  if (finish?.kind === 'error') throw endWithFailure(run, Outcome.failed, finish.error);
  // a failure of its own (not the stop's cancellation) is the outcome even when a stop came during compensation
  if (failure !== undefined && !isCancellation(failure)) throw endWithFailure(run, Outcome.failed, failureOf(failure));
  if (run.stoppedBy === 'timeout') {
    const message = `not enabled within ${run.input.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms`;
    throw endWithFailure(run, Outcome.timedOut, { type: FailureType.timedOut, message });
  }
  if (run.stoppedBy === 'cancel') {
    run.cancel ??= {
      reason: 'Temporal cancellation (UI or API)',
      requestedBy: 'unknown',
      at: new Date().toISOString(),
    };
    const report = run.end(Outcome.cancelled);
    upsertMemo({ [REPORT_MEMO_KEY]: report });
    // the one failure other than ApplicationFailure that leaves: it is what makes the status Canceled
    throw new CancelledFailure(`enablement cancelled by ${run.cancel.requestedBy}: ${run.cancel.reason}`, [report]);
  }
  throw endWithFailure(run, Outcome.failed, failureOf(failure));
}

function endWithFailure(run: EnablementRun, outcome: Outcome, error: TaskError): ApplicationFailure {
  run.error = error;
  const report = run.end(outcome);
  return ApplicationFailure.create({ type: error.type, message: error.message, nonRetryable: true, details: [report] });
}

interface Settings {
  timeoutMs: number;
  compensationWindowMs: number;
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
  const compensationWindowMs = input?.compensationWindowMs ?? DEFAULT_COMPENSATION_WINDOW_MS;
  positive(compensationWindowMs, 'compensationWindowMs');
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
  return { timeoutMs, compensationWindowMs, poll };
}
