import { setMaxListeners } from 'node:events';
import { ApplicationFailure, Context, log } from '@temporalio/activity';
import type { MetricHistogram, MetricMeter } from '@temporalio/common';
import {
  LIGHTNING_PHASES,
  POLL_ACTIVITY,
  START_ACTIVITY,
  type LightningActivationParams,
  type PhaseRecord,
  type PollHeartbeat,
  type PollPolicy,
} from '../workflows/api.js';
import {
  createKdfClient,
  failureTypeOf,
  KdfError,
  KdfRpcError,
  isRetryable,
  toApplicationFailure,
  type KdfClient,
  type LightningTaskStatus,
} from './kdf/index.js';
import type { KdfEventStream, KdfEventStreams, PushedStatus } from './kdf/event-stream.js';
import type { NodeRegistry } from './nodes.js';
import type { TaskClaims } from './task-claims.js';
import { TaskIdTracker } from './task-tracker.js';

/** How many task ids above the highest one seen a retried init probes for the task a lost response started. */
const ORPHAN_PROBE_WINDOW = 32;
/** A probe that fails in transport is tried this many times before the init attempt gives up (and looks again later). */
const PROBE_TRIES = 3;
const PROBE_RETRY_MS = 500;
/**
 * How long a retried init waits for an ambiguous probe to clear before it inits again anyway: KDF has no
 * lightning timeout, so a task nobody claims may never end. A duplicate init then loses to the first task
 * (`L2IsAlreadyActivated`, or `Address already in use` for the same port), as contract §3.6 describes.
 */
const IN_DOUBT_MAX_MS = 60_000;
/** How soon a retried init in doubt looks again (not the start's growing backoff: what blocks it clears in seconds). */
const IN_DOUBT_RECHECK = '2 seconds';
/** Longest single sleep between heartbeats, so a cancelled or crashed poll is noticed quickly. */
const HEARTBEAT_SLICE_MS = 5_000;

export interface ActivityDependencies {
  nodes: NodeRegistry;
  /** Event streams of the nodes that opt in; without them every node is polled only. */
  eventStreams?: KdfEventStreams;
  /** Which task ids running enablements hold, across workers and restarts; in-memory knowledge only without it. */
  claims?: TaskClaims;
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

export interface StartInput extends PreflightInput {
  activationParams: LightningActivationParams;
}

export type StartResult = (
  | {
      kind: 'started';
      taskId: number;
      /** found the task a lost init response had started */
      adopted: boolean;
      /** ISO-8601 time init returned (or the lost task was found) */
      startedAt: string;
    }
  | { kind: 'already_enabled' }
) & {
  /** Attempt number of the activity that returned (1 = no retry). */
  attempt: number;
};

export interface PollInput extends TaskRef {
  ticker: string;
  /** When init returned (ISO-8601): the polling schedule counts from there, as a plain polling script's does. */
  startedAt: string;
  /** The phase the workflow already recorded. */
  knownPhase: string | null;
  policy: PollPolicy;
  /** A phase the workflow does not know yet is reported (the poll returns) once it has lasted this long. */
  reportAfterMs: number;
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
  /** Finished, lost, or still in progress in a phase that has lasted `reportAfterMs`. */
  state: TaskState;
  /** Status calls made, across retried attempts of this poll. */
  polls: number;
  /** Attempt number of the activity that returned (1 = no retry). */
  attempt: number;
  /** The transient error that made an earlier attempt fail, if any. */
  lastError?: TaskError & { at: string };
}

export type CancelOutcome = 'cancelled' | 'finished' | 'not_found';

interface InitProgress {
  /** The init request may have reached KDF; a retry must reconcile before sending another. */
  sent: boolean;
  highestSeenBefore: number | null;
  /** When a retry first found the probe ambiguous (ms epoch). */
  inDoubtSince?: number;
}

/**
 * The KDF activities of an enablement. Every KDF failure leaves as an `ApplicationFailure` whose `type` is the
 * KDF `error_type` (or `KdfTransportError` / `KdfProtocolError`), retryable per the classification table.
 */
export function createActivities({ nodes, eventStreams, claims }: ActivityDependencies) {
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

  /** The task's state; a finished task is forgotten by this read unless `keep` (KDF's default forgets). */
  async function readStatus(node: string, taskId: number, keep = false): Promise<TaskState> {
    let state: TaskState;
    try {
      const status = await clientFor(node).lightningStatus(taskId, {
        signal: Context.current().cancellationSignal,
        forgetIfFinished: !keep,
      });
      tracker.saw(node, taskId);
      state = taskState(status);
    } catch (error) {
      if (!(error instanceof KdfRpcError && error.errorType === 'NoSuchTask')) throw error;
      state = { kind: 'lost' };
    }
    // a task KDF no longer has is nobody's: a restarted KDF may give its id to a new task a probe must not skip
    if (state.kind === 'lost' || (state.kind !== 'in_progress' && !keep)) tracker.release(node, taskId);
    return state;
  }

  /** A status read for a probe: transport trouble is tried again here, so one lost reply does not end the search. */
  async function probe(node: string, taskId: number): Promise<TaskState> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await readStatus(node, taskId, true);
      } catch (error) {
        if (attempt >= PROBE_TRIES || !(error instanceof KdfError) || !isRetryable(error)) throw error;
        await Context.current().sleep(PROBE_RETRY_MS);
      }
    }
  }

  /**
   * The task a lost init started, among the tasks just above the ids seen before that init that no running
   * enablement holds and that are running or failed (one that ended Ok enabled its coin: preflight sees that).
   * Null means "init again": there is none (the init never reached KDF), or only failed tasks of unknown owners
   * (if one was this init's, a new init fails the same way). While running candidates leave it open which is this
   * init's, or an enablement on the node has not recorded its task yet, the attempt fails (retryable) to look
   * again later, when they are claimed or finished: adopting another ticker's task would report it as this one's.
   */
  async function findOrphanTask(node: string, ticker: string, progress: InitProgress): Promise<number | null> {
    // Asked before the claims: an enablement that records its task after this answer is seen by the claim checks.
    const self = ownWorkflowId();
    const unrecorded = (await claims?.startsUnrecorded(node, self)) ?? 0;
    const first = (progress.highestSeenBefore ?? -1) + 1;
    // A candidate: unclaimed, and running (or failed, when above the mark, where only tasks after it can be).
    const candidate = async (taskId: number, acceptFailed: boolean): Promise<'running' | 'failed' | null> => {
      if (tracker.isClaimed(node, taskId)) return null;
      const { kind } = await probe(node, taskId);
      if (kind !== 'in_progress' && !(acceptFailed && kind === 'error')) return null;
      // its own claim is of a task KDF lost: a restarted KDF may have given that id to the task this init started
      if (await claims?.isClaimed(node, taskId, self)) return null;
      return kind === 'error' ? 'failed' : 'running';
    };
    // Below the mark: ids seen after the lost init (when its heartbeat did not get out, the mark is from later),
    // and a KDF that restarted since numbers from 0 again. Old failed tasks may linger unread there.
    const below = new Set<number>();
    for (let offset = 1; offset <= ORPHAN_PROBE_WINDOW; offset++) {
      if (first - offset >= 0) below.add(first - offset);
      if (offset - 1 < first) below.add(offset - 1);
    }
    const probes = [
      ...Array.from({ length: ORPHAN_PROBE_WINDOW }, (_, index) => ({ taskId: first + index, acceptFailed: true })),
      ...[...below].map((taskId) => ({ taskId, acceptFailed: false })),
    ];
    // all at once (the node's client bounds its concurrent requests): a slow or lost reply costs one timeout.
    // Each request in flight or waiting for a slot listens on the activity's cancellation signal.
    setMaxListeners(2 * probes.length + 10, Context.current().cancellationSignal);
    const found = await Promise.all(probes.map(({ taskId, acceptFailed }) => candidate(taskId, acceptFailed)));
    const running = probes.filter((_, index) => found[index] === 'running').map(({ taskId }) => taskId);
    const failed = probes.filter((_, index) => found[index] === 'failed').map(({ taskId }) => taskId);
    const candidates = [...running, ...failed];
    if (candidates.length === 0) return null;
    if (candidates.length === 1 && unrecorded === 0) return candidates[0] as number;
    if (running.length === 0) return null;
    const inDoubtSince = progress.inDoubtSince ?? Date.now();
    if (Date.now() - inDoubtSince > IN_DOUBT_MAX_MS) {
      log.warn('a lost init stayed ambiguous; starting the activation again', { node, ticker, candidates });
      return null;
    }
    Context.current().heartbeat({ ...progress, inDoubtSince } satisfies InitProgress);
    throw ApplicationFailure.create({
      type: 'KdfInitInDoubt',
      message:
        `a lost init of ${ticker} may have started any of tasks ${candidates.join(', ')} on node ${node}` +
        ` (${unrecorded} other enablement(s) there have not recorded their task yet); looking again later`,
      details: [{ candidates, unrecorded }],
      nextRetryDelay: IN_DOUBT_RECHECK,
    });
  }

  return {
    /** Node reachable; ticker already enabled (then no init is needed); platform coin enabled if named. */
    async preflight(input: PreflightInput): Promise<{ alreadyEnabled: boolean }> {
      return asFailures(async () => ({ alreadyEnabled: await checkPreflight(input) }));
    },

    /**
     * Preflight, then `task::enable_lightning::init` at most once per enablement: a retry after a lost response
     * first looks for the coin (enabled since) and for the task that response would have named.
     */
    async [START_ACTIVITY]({ activationParams, ...preflight }: StartInput): Promise<StartResult> {
      const { attempt } = Context.current().info;
      return asFailures(async (): Promise<StartResult> => {
        const { node, ticker } = preflight;
        const previous = Context.current().info.heartbeatDetails as InitProgress | undefined;
        try {
          if (await checkPreflight(preflight)) return { kind: 'already_enabled', attempt };
        } catch (error) {
          // an attempt that fails here sent no init; its failure carries this, so the retry is not in doubt
          if (!previous) Context.current().heartbeat({ sent: false, highestSeenBefore: null } satisfies InitProgress);
          throw error;
        }
        // a worker killed just after sending init may not have got its heartbeat out: a retry without one is in doubt
        if (previous?.sent || (previous === undefined && attempt > 1)) {
          const seen = previous ?? { sent: true, highestSeenBefore: tracker.highestSeen(node) };
          const orphan = await findOrphanTask(node, ticker, seen);
          if (orphan !== null) {
            tracker.claim(node, orphan);
            log.info('adopted the task started by a lost init response', { node, ticker, taskId: orphan });
            return { kind: 'started', taskId: orphan, adopted: true, startedAt: new Date().toISOString(), attempt };
          }
        }
        // a restarted worker knows no ids yet: keep what the crashed attempt had seen
        const highestSeen = Math.max(tracker.highestSeen(node) ?? -1, previous?.highestSeenBefore ?? -1);
        const progress: InitProgress = { sent: true, highestSeenBefore: highestSeen < 0 ? null : highestSeen };
        Context.current().heartbeat(progress);
        try {
          const stream = eventStreams?.for(node);
          const { task_id: taskId } = await clientFor(node).initLightning(
            { ticker, activation_params: activationParams, ...(stream && { client_id: stream.clientId }) },
            { signal: Context.current().cancellationSignal }
          );
          tracker.claim(node, taskId);
          return { kind: 'started', taskId, adopted: false, startedAt: new Date().toISOString(), attempt };
        } catch (error) {
          if (error instanceof KdfRpcError && error.errorType === 'L2IsAlreadyActivated') {
            return { kind: 'already_enabled', attempt };
          }
          throw error;
        }
      });
    },

    /**
     * Follows the task until it finishes (the read that sees it finished forgets it, as KDF's default does), or
     * until a phase the workflow does not know has lasted `reportAfterMs`. Status is read after each wait of the
     * backoff schedule; with a healthy event stream, pushed phases are taken as they come and only a finish is
     * confirmed with a read. Heartbeats carry what was seen (the live view, see `PollHeartbeat`), so a retry
     * after a worker crash resumes where the crashed attempt stopped.
     */
    async [POLL_ACTIVITY]({
      node,
      ticker,
      taskId,
      startedAt,
      knownPhase,
      policy,
      reportAfterMs,
    }: PollInput): Promise<PollResult> {
      const context = Context.current();
      const progress: PollHeartbeat = (context.info.heartbeatDetails as PollHeartbeat | undefined) ?? {
        phase: knownPhase,
        phases: [],
        polls: 0,
      };
      const finish = (state: TaskState): PollResult => ({
        phases: progress.phases,
        state,
        polls: progress.polls,
        attempt: context.info.attempt,
        ...(progress.lastError && { lastError: progress.lastError }),
      });
      /** When the current phase, unknown to the workflow, is due to be reported. */
      const reportAt = (): number => {
        const current = progress.phases.at(-1);
        return current && current.phase !== knownPhase ? Date.parse(current.at) + reportAfterMs : Infinity;
      };
      const stream = eventStreams?.for(node);
      let afterSeq = 0;
      const record = (phase: string, at: number, source: DetectionSource): void => {
        if (phase === progress.phase) return;
        recordDetection(source);
        progress.phase = phase;
        progress.phases.push({ phase, at: new Date(at).toISOString() });
      };
      // KDF never pushes a task's initial phase: with a stream, the first read comes at once instead of after a wait
      let readNow = stream !== undefined && progress.phase === null;
      try {
        for (;;) {
          const nextReadMs = readNow
            ? 0
            : stream?.connected
              ? policy.maxIntervalMs
              : nextScheduledRead(Date.parse(startedAt), policy) - Date.now();
          readNow = false;
          const waitMs = Math.min(nextReadMs, reportAt() - Date.now());
          const pushed = await waitWithHeartbeats(Math.max(0, waitMs), progress, stream, taskId, afterSeq);
          afterSeq = pushed.at(-1)?.seq ?? afterSeq;
          let confirm = pushed.length === 0;
          for (const event of pushed) {
            const state = event.status && taskState(event.status);
            if (state?.kind === 'in_progress') record(state.phase, event.at, 'push');
            else confirm = true; // a finish (or an unreadable frame) is confirmed by a read, which also forgets it
          }
          if (confirm) {
            progress.polls += 1;
            const state = await readStatus(node, taskId);
            const source = pushed.length > 0 ? 'push' : 'poll';
            if (state.kind !== 'in_progress') {
              recordDetection(source);
              stream?.forget(taskId);
              return finish(await ownState(node, ticker, taskId, state));
            }
            // KDF numbers tasks from 0 again after a restart: a phase going backwards is another task's
            if (wentBackwards(progress.phase, state.phase)) return finish({ kind: 'lost' });
            record(state.phase, Date.now(), source);
          }
          context.heartbeat(progress);
          if (Date.now() >= reportAt()) return finish({ kind: 'in_progress', phase: progress.phase ?? 'unknown' });
        }
      } catch (error) {
        if (error instanceof KdfError) {
          // Seen by the next attempt, which reports it to the workflow's progress.
          const failure = { type: failureTypeOf(error), message: error.message, at: new Date().toISOString() };
          context.heartbeat({ ...progress, lastError: failure } satisfies PollHeartbeat);
        }
        throw toApplicationFailure(error);
      }
    },

    /** The state of a task that is known to have finished; reading it forgets it. */
    async readFinishedTask({ node, taskId }: TaskRef): Promise<TaskState> {
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
  };

  /**
   * The finished state, or `lost` when the id was reused by a restarted KDF for another enablement's task (KDF
   * numbers tasks from 0 again, and a task that finished unread is gone with the restart). A task that ended Ok
   * registered its coin first (contract §4), so `ticker` not enabled means another ticker's task. An Error says
   * nothing of its ticker, but another running enablement holding the same id does: KDF never gives one id to two
   * tasks in one life, so the id was reused after this enablement's task was gone.
   */
  async function ownState(node: string, ticker: string, taskId: number, state: TaskState): Promise<TaskState> {
    if (state.kind === 'ok' && !(await enabledCoins(node)).includes(ticker)) {
      log.warn('a task id read Ok for another ticker: KDF restarted and reused it', { node, ticker, taskId });
      return { kind: 'lost' };
    }
    if (state.kind === 'error' && (await claims?.isClaimed(node, taskId, ownWorkflowId()))) {
      log.warn('a failed task id is also held by another enablement: KDF restarted and reused it', {
        node,
        ticker,
        taskId,
      });
      return { kind: 'lost' };
    }
    return state;
  }

  /** True when `ticker` is already enabled; fails (non-retryable) when the named platform coin is not. */
  async function checkPreflight({ node, ticker, platformCoin }: PreflightInput): Promise<boolean> {
    const coins = await enabledCoins(node);
    if (coins.includes(ticker)) return true;
    if (platformCoin !== undefined && !coins.includes(platformCoin)) {
      throw ApplicationFailure.create({
        type: 'PlatformCoinIsNotActivated',
        message: `platform coin ${platformCoin} is not enabled on node ${node}; enable it (segwit) before ${ticker}`,
        nonRetryable: true,
        details: [{ platformCoin, enabledCoins: coins }],
      });
    }
    return false;
  }
}

export type EnablementActivities = ReturnType<typeof createActivities>;

const ownWorkflowId = (): string => Context.current().info.workflowExecution?.workflowId ?? '';

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
 * Waits `ms`, heartbeating every few seconds, or less when the task's event stream pushes transitions after
 * `afterSeq`; resolves with them, or with none when the time ran out.
 */
async function waitWithHeartbeats(
  ms: number,
  details: PollHeartbeat,
  stream: KdfEventStream | undefined,
  taskId: number,
  afterSeq: number
): Promise<PushedStatus[]> {
  const context = Context.current();
  const until = Date.now() + ms;
  for (let left = ms; left > 0; left = until - Date.now()) {
    const slice = Math.min(left, HEARTBEAT_SLICE_MS);
    if (stream) {
      const pushed = await stream.waitForEvents(taskId, afterSeq, slice, context.cancellationSignal);
      if (pushed.length > 0) return pushed;
      if (context.cancellationSignal.aborted) await context.cancelled;
    } else {
      await context.sleep(slice);
    }
    // not at the end of the wait: the read that follows heartbeats what it saw, and the SDK sends the first
    // heartbeat at once but later ones at most every 0.8 × heartbeatTimeout, so the first should carry a phase
    if (until > Date.now()) context.heartbeat(details);
  }
  return [];
}

/** Whether `next` comes before `previous` in KDF's phase order (phases outside it never go backwards). */
function wentBackwards(previous: string | null, next: string): boolean {
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

type DetectionSource = 'push' | 'poll';

function recordDetection(source: DetectionSource): void {
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
