/**
 * What following one KDF task needs besides the RPC calls: turning a status into a state, the backoff schedule,
 * and waiting between reads (or until the node's event stream pushes transitions).
 *
 * @module
 */
import { setTimeout } from 'node:timers/promises';
import { Context } from '@temporalio/activity';
import { LIGHTNING_PHASES, type LightningActivation, type PollPolicy } from '../workflows/api.js';
import type { LightningTaskStatus } from './kdf/index.js';
import type { KdfEventStream, PushedStatus } from './kdf/event-stream.js';

export type ActivationResult = LightningActivation;

export interface TaskError {
  type: string;
  message: string;
  data?: unknown;
}

export type TaskState =
  | { kind: 'in_progress'; phase: string }
  | { kind: 'ok'; result: ActivationResult }
  | { kind: 'error'; error: TaskError }
  /** KDF does not know the task id, or gave it to another task after a restart. */
  | { kind: 'lost' };

export function taskState(status: LightningTaskStatus): TaskState {
  switch (status.status) {
    case 'InProgress':
      return { kind: 'in_progress', phase: status.details };
    case 'UserActionRequired':
      return { kind: 'in_progress', phase: `UserActionRequired:${status.details}` };
    case 'Ok':
      return {
        kind: 'ok',
        result: {
          platformCoin: status.details.platform_coin,
          address: status.details.address,
          balance: { spendable: status.details.balance.spendable, unspendable: status.details.balance.unspendable },
        },
      };
    case 'Error':
      return {
        kind: 'error',
        error: {
          type: status.details.error_type,
          message: status.details.error,
          ...(status.details.error_data !== undefined && { data: status.details.error_data }),
        },
      };
  }
}

/**
 * Waits `ms`, or less when the task's event stream pushes transitions after `afterSeq`; resolves with them, or with
 * none when the time ran out. Rejects with the activity's `CancelledFailure` once it is cancelled. Heartbeats are
 * the caller's: a wait holds nothing that lasts beyond it, however long the activity follows its task.
 */
export async function waitForRead(
  ms: number,
  stream: KdfEventStream | undefined,
  taskId: number,
  afterSeq: number
): Promise<PushedStatus[]> {
  const context = Context.current();
  const signal = context.cancellationSignal;
  if (stream) {
    const pushed = await stream.waitForEvents(taskId, afterSeq, ms, signal);
    if (pushed.length === 0 && signal.aborted) await context.cancelled;
    return pushed;
  }
  // not Context.sleep: the SDK keeps each of its timers referenced until the activity ends (a leak per wait)
  await setTimeout(ms, undefined, { signal }).catch((error: unknown) => {
    if (signal.aborted) return context.cancelled;
    throw error;
  });
  return [];
}

/** Whether `next` comes before `previous` in KDF's phase order (phases outside it never go backwards). */
export function wentBackwards(previous: string | null, next: string): boolean {
  const order: readonly string[] = LIGHTNING_PHASES;
  const [before, after] = [order.indexOf(previous ?? ''), order.indexOf(next)];
  return before >= 0 && after >= 0 && after < before;
}

/** The first read of the backoff schedule (initial interval after `startMs`, growing, capped) still ahead. */
export function nextScheduledRead(startMs: number, policy: PollPolicy, now = Date.now()): number {
  let at = startMs + policy.initialIntervalMs;
  for (let intervalMs = policy.initialIntervalMs; at <= now;) {
    intervalMs = Math.min(intervalMs * policy.backoffCoefficient, policy.maxIntervalMs);
    at += intervalMs;
  }
  return at;
}
