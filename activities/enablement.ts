import { ApplicationFailure, Context, log } from '@temporalio/activity';
import type { MetricHistogram, MetricMeter } from '@temporalio/common';
import type { LightningActivationParams, PhaseRecord, PollPolicy } from '../workflows/api.js';
import {
  createKdfClient,
  failureTypeOf,
  KdfError,
  KdfRpcError,
  toApplicationFailure,
  type KdfClient,
  type LightningTaskStatus,
} from './kdf/index.js';
import type { KdfEventStream, KdfEventStreams } from './kdf/event-stream.js';
import type { NodeRegistry } from './nodes.js';
import { TaskIdTracker } from './task-tracker.js';

/** How many task ids above the highest one seen a retried init probes for the task a lost response started. */
const ORPHAN_PROBE_WINDOW = 32;
/** Longest single sleep between heartbeats, so a cancelled or crashed poll is noticed quickly. */
const HEARTBEAT_SLICE_MS = 5_000;

export interface ActivityDependencies {
  nodes: NodeRegistry;
  /** Event streams of the nodes that opt in; without them every node is polled only. */
  eventStreams?: KdfEventStreams;
}

export interface TaskRef {
  node: string;
  taskId: number;
}

export interface PreflightInput {
  node: string;
  ticker: string;
  platformCoin?: string;
}

export interface InitInput {
  node: string;
  ticker: string;
  activationParams: LightningActivationParams;
}

export type InitResult =
  | { kind: 'started'; taskId: number; /** found the task a lost init response had started */ adopted: boolean }
  | { kind: 'already_enabled' };

export interface PollInput extends TaskRef {
  /** The phase the workflow already recorded; the poll returns when the task leaves it. */
  lastPhase: string | null;
  policy: PollPolicy;
  /** After a phase change, keep polling this long to report phases that follow quickly in the same result. */
  coalesceMs: number;
}

export interface ActivationResult {
  platformCoin: string;
  address: string;
  balance: { spendable: string; unspendable: string };
}

export interface TaskError {
  type: string;
  message: string;
  data?: unknown;
}

export type TaskState =
  | { kind: 'in_progress'; phase: string }
  | { kind: 'ok'; result: ActivationResult }
  | { kind: 'error'; error: TaskError }
  /** KDF does not know the task id: it restarted, or the task was cancelled elsewhere. */
  | { kind: 'lost' };

export interface PollResult {
  /** Phases first seen during this poll, oldest first. */
  phases: PhaseRecord[];
  state: TaskState;
  /** Status calls made, across retried attempts of this poll. */
  polls: number;
  /** Attempt number of the activity that returned (1 = no retry). */
  attempt: number;
  /** The transient error that made an earlier attempt fail, if any. */
  lastError?: TaskError & { at: string };
}

export type CancelOutcome = 'cancelled' | 'finished' | 'not_found';

interface PollProgress {
  phase: string | null;
  phases: PhaseRecord[];
  polls: number;
  lastError?: TaskError & { at: string };
}

interface InitProgress {
  /** The init request may have reached KDF; a retry must reconcile before sending another. */
  sent: true;
  highestSeenBefore: number | null;
}

/**
 * The KDF activities of an enablement. Every KDF failure leaves as an `ApplicationFailure` whose `type` is the
 * KDF `error_type` (or `KdfTransportError` / `KdfProtocolError`), retryable per the classification table.
 */
export function createActivities({ nodes, eventStreams }: ActivityDependencies) {
  const clients = new Map<string, KdfClient>();
  const tracker = new TaskIdTracker();

  function clientFor(node: string): KdfClient {
    let client = clients.get(node);
    if (!client) {
      const config = nodes.get(node);
      if (!config) {
        throw ApplicationFailure.create({
          type: 'UnknownKdfNode',
          message: `node "${node}" is not in this worker's node registry (KDF_NODES_FILE)`,
          nonRetryable: true,
        });
      }
      client = createKdfClient(config, { onCall: recordRpcMetric });
      clients.set(node, client);
    }
    return client;
  }

  async function enabledCoins(node: string): Promise<string[]> {
    return clientFor(node).enabledCoins({ signal: Context.current().cancellationSignal });
  }

  async function readStatus(node: string, taskId: number, forgetIfFinished = false): Promise<TaskState> {
    try {
      const status = await clientFor(node).lightningStatus(taskId, {
        signal: Context.current().cancellationSignal,
        forgetIfFinished,
      });
      tracker.saw(node, taskId);
      return taskState(status);
    } catch (error) {
      if (error instanceof KdfRpcError && error.errorType === 'NoSuchTask') return { kind: 'lost' };
      throw error;
    }
  }

  /** An unclaimed running task just above the ids seen before a lost init: the one that init started. */
  async function findOrphanTask(node: string, highestSeenBefore: number | null): Promise<number | null> {
    const first = (highestSeenBefore ?? -1) + 1;
    for (let taskId = first; taskId < first + ORPHAN_PROBE_WINDOW; taskId++) {
      if (tracker.isClaimed(node, taskId)) continue;
      const state = await readStatus(node, taskId);
      if (state.kind === 'in_progress') return taskId;
    }
    return null;
  }

  return {
    /** Node reachable; ticker already enabled (then no init is needed); platform coin enabled if named. */
    async preflight({ node, ticker, platformCoin }: PreflightInput): Promise<{ alreadyEnabled: boolean }> {
      return asFailures(async () => {
        const coins = await enabledCoins(node);
        if (coins.includes(ticker)) return { alreadyEnabled: true };
        if (platformCoin !== undefined && !coins.includes(platformCoin)) {
          throw ApplicationFailure.create({
            type: 'PlatformCoinIsNotActivated',
            message: `platform coin ${platformCoin} is not enabled on node ${node}; enable it (segwit) before ${ticker}`,
            nonRetryable: true,
            details: [{ platformCoin, enabledCoins: coins }],
          });
        }
        return { alreadyEnabled: false };
      });
    },

    /**
     * `task::enable_lightning::init`, at most once per enablement: a retry after a lost response first looks for
     * the coin (enabled since) and for the task that response would have named.
     */
    async initLightning({ node, ticker, activationParams }: InitInput): Promise<InitResult> {
      return asFailures(async () => {
        const previous = Context.current().info.heartbeatDetails as InitProgress | undefined;
        if (previous?.sent) {
          if ((await enabledCoins(node)).includes(ticker)) return { kind: 'already_enabled' };
          const orphan = await findOrphanTask(node, previous.highestSeenBefore);
          if (orphan !== null) {
            tracker.claim(node, orphan);
            log.info('adopted the task started by a lost init response', { node, ticker, taskId: orphan });
            return { kind: 'started', taskId: orphan, adopted: true };
          }
        }
        const progress: InitProgress = { sent: true, highestSeenBefore: tracker.highestSeen(node) };
        Context.current().heartbeat(progress);
        try {
          const stream = eventStreams?.for(node);
          const { task_id: taskId } = await clientFor(node).initLightning(
            { ticker, activation_params: activationParams, ...(stream && { client_id: stream.clientId }) },
            { signal: Context.current().cancellationSignal }
          );
          tracker.claim(node, taskId);
          return { kind: 'started', taskId, adopted: false };
        } catch (error) {
          if (error instanceof KdfRpcError && error.errorType === 'L2IsAlreadyActivated') {
            return { kind: 'already_enabled' };
          }
          throw error;
        }
      });
    },

    /**
     * Polls `task::enable_lightning::status` (never forgetting the task) with backoff until the task finishes or
     * its phase changes; phases that follow within `coalesceMs` are returned together. Heartbeats carry what was
     * seen, so a retry after a worker crash resumes where the crashed attempt stopped.
     */
    async pollUntilPhaseChange({ node, taskId, lastPhase, policy, coalesceMs }: PollInput): Promise<PollResult> {
      const context = Context.current();
      const resumed = context.info.heartbeatDetails as PollProgress | undefined;
      const progress: PollProgress = resumed ?? { phase: lastPhase, phases: [], polls: 0 };
      const finish = (state: TaskState): PollResult => ({
        phases: progress.phases,
        state,
        polls: progress.polls,
        attempt: context.info.attempt,
        ...(progress.lastError && { lastError: progress.lastError }),
      });
      let intervalMs = policy.initialIntervalMs;
      let firstChangeAt = progress.phases.length > 0 ? Date.now() : null;
      const stream = eventStreams?.for(node);
      stream?.follow(taskId);
      let wokenByEvent = false;
      try {
        for (;;) {
          const polledAt = Date.now();
          progress.polls += 1;
          const state = await readStatus(node, taskId);
          const changed = state.kind !== 'in_progress' || state.phase !== progress.phase;
          if (changed) recordDetection(wokenByEvent ? 'push' : 'poll');
          if (state.kind !== 'in_progress') return finish(state);
          if (state.phase !== progress.phase) {
            progress.phase = state.phase;
            progress.phases.push({ phase: state.phase, at: new Date().toISOString() });
            firstChangeAt ??= Date.now();
            intervalMs = policy.initialIntervalMs;
          }
          if (firstChangeAt !== null && Date.now() - firstChangeAt >= coalesceMs) return finish(state);
          context.heartbeat(progress);
          // a healthy stream announces changes, so polling only has to catch lost events
          const waitMs = stream?.connected ? policy.maxIntervalMs : intervalMs;
          const untilCoalesced = firstChangeAt === null ? Infinity : firstChangeAt + coalesceMs - Date.now();
          wokenByEvent = await waitWithHeartbeats(Math.max(0, Math.min(waitMs, untilCoalesced)), progress, {
            stream,
            taskId,
            since: polledAt,
          });
          intervalMs = Math.min(intervalMs * policy.backoffCoefficient, policy.maxIntervalMs);
        }
      } catch (error) {
        if (error instanceof KdfError) {
          // Seen by the next attempt, which reports it to the workflow's progress.
          const failure = { type: failureTypeOf(error), message: error.message, at: new Date().toISOString() };
          context.heartbeat({ ...progress, lastError: failure } satisfies PollProgress);
        }
        throw toApplicationFailure(error);
      } finally {
        stream?.unfollow(taskId);
      }
    },

    /** The task's current state, without forgetting it. */
    async readTaskStatus({ node, taskId }: TaskRef): Promise<TaskState> {
      return asFailures(() => readStatus(node, taskId));
    },

    /** `task::enable_lightning::cancel`, reconciled: a task that already ended is `finished`, an unknown one `not_found`. */
    async cancelTask({ node, taskId }: TaskRef): Promise<CancelOutcome> {
      return asFailures(async () => {
        try {
          await clientFor(node).cancelLightning(taskId, { signal: Context.current().cancellationSignal });
          return 'cancelled';
        } catch (error) {
          if (error instanceof KdfRpcError && error.errorType === 'TaskFinished') return 'finished';
          if (error instanceof KdfRpcError && error.errorType === 'NoSuchTask') return 'not_found';
          throw error;
        } finally {
          tracker.release(node, taskId);
        }
      });
    },

    /** Best-effort clean-up: read the finished task once with `forget_if_finished` so KDF drops it. */
    async forgetTask({ node, taskId }: TaskRef): Promise<void> {
      try {
        await readStatus(node, taskId, true);
      } catch (error) {
        log.warn('could not forget a finished KDF task; KDF keeps it until restart', {
          node,
          taskId,
          errorType: error instanceof KdfError ? failureTypeOf(error) : 'unknown',
        });
      } finally {
        tracker.release(node, taskId);
      }
    },
  };
}

export type EnablementActivities = ReturnType<typeof createActivities>;

async function asFailures<T>(body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    throw toApplicationFailure(error);
  }
}

function taskState(status: LightningTaskStatus): TaskState {
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
 * Waits `ms` (heartbeating every few seconds), or less when the task's event stream reports a change after
 * `since`; resolves whether an event ended the wait.
 */
async function waitWithHeartbeats(
  ms: number,
  details: PollProgress,
  wake: { stream: KdfEventStream | undefined; taskId: number; since: number }
): Promise<boolean> {
  const context = Context.current();
  const until = Date.now() + ms;
  for (let left = ms; left > 0; left = until - Date.now()) {
    const slice = Math.min(left, HEARTBEAT_SLICE_MS);
    if (wake.stream) {
      if (await wake.stream.waitForEvent(wake.taskId, wake.since, slice, context.cancellationSignal)) return true;
      if (context.cancellationSignal.aborted) await context.cancelled;
    } else {
      await context.sleep(slice);
    }
    context.heartbeat(details);
  }
  return false;
}

function recordDetection(source: 'push' | 'poll'): void {
  Context.current()
    .metricMeter.createCounter('kdf_status_detections', 'detections', 'Status changes seen, by what woke the poll')
    .add(1, { source });
}

const rpcLatencyByMeter = new WeakMap<MetricMeter, MetricHistogram>();

function recordRpcMetric(event: { method: string; durationMs: number; outcome: string }): void {
  const meter = Context.current().metricMeter;
  let histogram = rpcLatencyByMeter.get(meter);
  if (!histogram) {
    histogram = meter.createHistogram('kdf_rpc_latency', 'int', 'ms', 'KDF RPC latency by method and outcome');
    rpcLatencyByMeter.set(meter, histogram);
  }
  histogram.record(Math.round(event.durationMs), { method: event.method, outcome: event.outcome });
}
