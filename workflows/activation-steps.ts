/**
 * The steps the activation loops of `enableLightning` share (v2: `startTask` and `pollTask`; v5: `activate`): what
 * a step that started no task, a finished task or a failed activity means for the enablement (docs/guarantees.md G4).
 *
 * @module
 */
import { ActivityFailure, ApplicationFailure, TimeoutFailure } from '@temporalio/workflow';
import type { ActivationResult, StartResult, TaskError, TaskState } from '../activities/index.js';
import { FailureType, type PollHeartbeat, type TaskHandle } from './api.js';
import type { EnablementRun } from './enablement-run.js';
import { failureOf } from './failures.js';

/** Tasks KDF may lose (restarts) before the enablement gives up with `KdfTaskLost`. */
const MAX_LOST_TASKS = 2;
/** Pause before another init after one that got no reply or lost to a task of this enablement: 1 s, doubling. */
const INIT_PAUSE_FIRST_MS = 1_000;
const INIT_PAUSE_MAX_MS = 15_000;

export function checkLostTasks(run: EnablementRun): void {
  if (run.lostTasks > MAX_LOST_TASKS) {
    throw ApplicationFailure.create({
      type: FailureType.taskLost,
      message: `KDF lost ${run.lostTasks} tasks of ${run.input.ticker}; is node ${run.input.node} restarting?`,
      nonRetryable: true,
    });
  }
}

/** A step that started no task: done when the coin is enabled, else noted (the caller pauses before another). */
export function noTask(run: EnablementRun, init: Exclude<StartResult, { kind: 'started' }>): 'done' | 'pause' {
  if (init.kind === 'already_enabled') {
    run.finish = { kind: 'enabled', alreadyEnabled: run.taskId === null && run.initsInDoubt === 0 };
    return 'done';
  }
  if (init.kind === 'in_doubt') run.initsInDoubt += 1;
  run.retries += 1;
  run.noteError(init.error);
  return 'pause';
}

/** What a finished task means: done (`run.finish` set), another init at once (KDF lost it), or one after a pause. */
export function afterTask(
  run: EnablementRun,
  taskId: number,
  state: Exclude<TaskState, { kind: 'in_progress' }>
): 'done' | 'again' | 'pause' {
  if (state.kind === 'ok') {
    run.finish = { kind: 'enabled', alreadyEnabled: false, result: state.result };
    return 'done';
  }
  if (state.kind === 'lost') {
    run.lostTasks += 1;
    run.noteError({ type: FailureType.taskLost, message: `KDF lost task ${taskId}; checking the node again` });
    return 'again';
  }
  if (!lostToOwnTask(run, state.error)) {
    run.finish = state;
    return 'done';
  }
  run.noteError(state.error);
  return 'pause';
}

/**
 * The task a timed-out activity's last heartbeat names (a dead worker), checked as plain data, and the Ok it read
 * for that task if it had not confirmed it yet.
 */
export function taskInHeartbeat(error: unknown): { task: TaskHandle; okRead?: ActivationResult } | undefined {
  const cause = error instanceof ActivityFailure ? error.cause : undefined;
  if (!(cause instanceof TimeoutFailure)) return undefined;
  const details = cause.lastHeartbeatDetails as PollHeartbeat | undefined;
  const task = details?.task;
  if (typeof task?.taskId !== 'number' || typeof task.startedAt !== 'string') return undefined;
  return { task, ...(details?.okRead && { okRead: details.okRead }) };
}

/**
 * Whether a task's error may come from another task of this enablement, which then holds the coin or the port
 * (docs/guarantees.md G4): `L2IsAlreadyActivated` always (preflight then sees whose coin it is), a port clash
 * once an init of this enablement is in doubt. KDF reports the clash as `Internal` with the OS's text, the one
 * task error whose text KDF's own docs give (contract §7.0).
 */
const lostToOwnTask = (run: EnablementRun, error: TaskError): boolean =>
  error.type === 'L2IsAlreadyActivated' ||
  (run.initsInDoubt > 0 && error.type === 'Internal' && PORT_CLASH.test(error.message));
const PORT_CLASH = /Address already in use/i;

export const pause = (pauses: number): number => Math.min(INIT_PAUSE_FIRST_MS * 2 ** pauses, INIT_PAUSE_MAX_MS);

/** An init activity that failed without KDF's refusal (the worker died, the attempt timed out) may have sent it. */
export function unansweredInit(error: unknown): Extract<StartResult, { kind: 'in_doubt' }> {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  if (cause instanceof ApplicationFailure && cause.nonRetryable) throw error;
  const failure = failureOf(error);
  return { kind: 'in_doubt', error: { type: failure.type, message: failure.message } };
}
