/**
 * The one activity of an enablement's happy path (v5): preflight and init (`startTask`'s work), then following the
 * task (`pollTask`'s), so that an enablement costs one activity and two workflow tasks. docs/guarantees.md says
 * why each guarantee still holds.
 *
 * @module
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { PollHeartbeat, PollPolicy, TaskHandle } from '../workflows/api.js';
import { toApplicationFailure } from './kdf/index.js';
import type { ActivationResult, TaskError, TaskState } from './poll.js';
import type { PollInput, PollResult, StartInput, StartResult } from './enablement.js';

/**
 * The worker's `maxHeartbeatThrottleInterval`, below `activate`'s cadences (4 s while it starts, 10 s while it
 * follows): each of its heartbeats goes out (the SDK would hold them for 0.8 × the 20 s timeout), so a cancel
 * reaches the activity within about one cadence of the request, and a heartbeat that carries a new task id or an Ok
 * reaches the server at once, or 3 s after the one before it at most (docs/guarantees.md G1, G2).
 */
export const HEARTBEAT_THROTTLE_MS = 3_000;

export interface ActivateInput extends StartInput {
  /** A task of this enablement that is still running: follow it, with no preflight and no init. */
  following?: TaskHandle;
  /** An Ok an earlier activity read for `following` and could not confirm (see `PollHeartbeat.okRead`). */
  okRead?: ActivationResult;
  /** The phase of `following` the workflow already recorded (ignored without `following`: a new task has none). */
  knownPhase: string | null;
  policy: PollPolicy;
  /** A phase the workflow does not know yet is reported (the activity returns) once it has lasted this long. */
  reportAfterMs: number;
}

export type ActivateResult =
  /** Nothing to follow: the coin is enabled, no init was sent, or one got no reply (see `StartResult`). */
  | Exclude<StartResult, { kind: 'started' }>
  /**
   * The task followed and how the following ended: the task finished, a phase is due to be reported, the activity
   * was cancelled (`in_progress`), or a KDF failure stopped it (`error`, with the task still running as far as
   * anyone knows). Once a task is known the activity returns, never fails, so that the workflow keeps it.
   */
  | { kind: 'followed'; task: TaskHandle; poll: PollResult; error?: FollowError; okRead?: ActivationResult };

/** A KDF failure (or our own) that stopped following a task; a retryable one may pass if the task is followed again. */
export type FollowError = TaskError & { retryable: boolean };

interface ActivateSteps {
  /** Preflight and one init (bounded by the node's request timeout), heartbeating. */
  start(input: StartInput): Promise<StartResult>;
  /** Follows the task (see `PollResult`), recording what it saw in `progress`, and heartbeating it. */
  follow(input: PollInput, progress: PollHeartbeat): Promise<TaskState>;
}

/**
 * Preflight, init unless the coin is enabled (or only following the task the workflow names), then the task to its
 * end. The heartbeat carries the task id from init's reply on, so that a workflow whose activity timed out (a dead
 * worker) still learns the task (`TimeoutFailure.lastHeartbeatDetails`). Cancelled (the deadline, a cancel), it
 * returns what it knows instead of failing: an init on the wire is awaited (bounded by the node's request timeout)
 * and the task it started is returned for compensation; a status read is abandoned.
 */
export function createActivate({ start, follow }: ActivateSteps) {
  return async function activate(input: ActivateInput): Promise<ActivateResult> {
    const context = Context.current();
    // Temporal runs another attempt only when an operator resets or unpauses this one: follow what it heartbeated
    let task = input.following ?? (context.info.heartbeatDetails as PollHeartbeat | undefined)?.task;
    if (task === undefined && context.info.attempt > 1) {
      const message = `attempt ${context.info.attempt}: an earlier attempt may have sent an init`;
      return { kind: 'in_doubt', error: { type: 'ActivityAttemptRepeated', message } };
    }
    if (task === undefined) {
      const started = await start(input);
      if (started.kind !== 'started') return started;
      task = { taskId: started.taskId, startedAt: started.startedAt };
    }
    const knownPhase = input.following ? input.knownPhase : null;
    const progress: PollHeartbeat = { task, phase: knownPhase, phases: [], polls: 0 };
    if (input.okRead !== undefined) progress.okRead = input.okRead;
    context.heartbeat(progress);
    const followed = (state: TaskState, error?: FollowError): ActivateResult => ({
      kind: 'followed',
      task,
      poll: { phases: progress.phases, state, polls: progress.polls, attempt: context.info.attempt },
      ...(error && { error }),
      ...(error && progress.okRead && { okRead: progress.okRead }),
    });
    const { node, ticker, policy, reportAfterMs } = input;
    try {
      const { taskId, startedAt } = task;
      return followed(await follow({ node, ticker, taskId, startedAt, knownPhase, policy, reportAfterMs }, progress));
    } catch (error) {
      const running = { kind: 'in_progress', phase: progress.phase ?? 'unknown' } as const;
      const failure = toApplicationFailure(error);
      if (context.cancellationSignal.aborted || !(failure instanceof ApplicationFailure)) return followed(running);
      const type = failure.type ?? 'ApplicationFailure';
      return followed(running, { type, message: failure.message, retryable: !failure.nonRetryable });
    }
  };
}
