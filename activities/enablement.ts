import { ApplicationFailure, Context, log } from '@temporalio/activity';
import {
  ACTIVATE_ACTIVITY,
  COMPENSATE_ACTIVITY,
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
  KdfInvalidParamsError,
  KdfRpcError,
  KdfTransportError,
  isRetryable,
  toApplicationFailure,
  type KdfClient,
} from './kdf/index.js';
import type { KdfEventStreams } from './kdf/event-stream.js';
import { createActivate } from './activate.js';
import { recordDetection, recordRpcMetric, type DetectionSource } from './metrics.js';
import type { NodeRegistry } from './nodes.js';
import { nextScheduledRead, taskState, waitForRead, wentBackwards, type TaskError, type TaskState } from './poll.js';

export type { ActivationResult, TaskError, TaskState } from './poll.js';

/** Room left for the reply when an init attempt decides whether it may still send (see `startTask`). */
const INIT_SEND_MARGIN_MS = 1_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
const START_HEARTBEAT_MS = 1_000;
/**
 * Before the task is known: the longest a cancel waits to reach `activate` while an init may still be sent (G1's
 * sum, docs/guarantees.md), and long enough that a quick init's task id is its first heartbeat.
 */
const ACTIVATE_START_HEARTBEAT_MS = 4_000;
/**
 * While a task is followed: every 10 s, half the 20 s heartbeat timeout of `activate` and `pollTask`, so that a
 * heartbeat up to 10 s late (a slow server, a stalled event loop) does not time it out; the longest a cancel waits
 * to reach the activity then (docs/guarantees.md G1). Half of a shorter timeout when the activity has one (an
 * `activate` scheduled by v5 code, with 10 s). Each heartbeat is a write of the workflow's state on the server (at
 * 10 s phases, 5 s heartbeats took a third of the server's CPU), so only this cadence and an Ok send one.
 */
const FOLLOW_HEARTBEAT_MS = 10_000;
const followHeartbeatMs = (heartbeatTimeoutMs: number | undefined): number =>
  heartbeatTimeoutMs ? Math.min(FOLLOW_HEARTBEAT_MS, heartbeatTimeoutMs / 2) : FOLLOW_HEARTBEAT_MS;

export interface ActivityDependencies {
  nodes: NodeRegistry;
  /** Event streams of the nodes that opt in; without them every node is polled only. */
  eventStreams?: KdfEventStreams;
}

export interface TaskRef {
  node: string;
  taskId: number;
}

export interface StartInput {
  node: string;
  ticker: string;
  /** When given, preflight fails fast if this coin is not enabled on the node. */
  platformCoin?: string;
  activationParams: LightningActivationParams;
}

export type StartResult =
  | {
      kind: 'started';
      taskId: number;
      /** ISO-8601 time init returned */
      startedAt: string;
    }
  /** Preflight found the coin enabled, or init answered `L2IsAlreadyActivated` (whichever task registered it). */
  | { kind: 'already_enabled' }
  /** No init reached KDF (preflight failed, connection refused, no time left for a reply): safe to try again. */
  | { kind: 'not_sent'; error: TaskError }
  /** The request may have reached KDF and started a task whose id we will never learn (design.md G4). */
  | { kind: 'in_doubt'; error: TaskError };

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

export interface CompensateInput extends TaskRef {
  ticker: string;
  /** The task's latest phase the workflow knows: a task under this id in an earlier phase is another one. */
  knownPhase: string | null;
}

/** What `task::enable_lightning::cancel` answered; `skipped` when the coin was enabled, so no cancel was sent. */
export type CancelOutcome = 'cancelled' | 'finished' | 'not_found' | 'skipped';

export interface CompensationResult {
  cancel: CancelOutcome;
  /** Whether `get_enabled_coins` listed the ticker after the cancel (before it, for `skipped`). */
  enabled: boolean;
  /** The task's state, when the cancel found it finished or was skipped. */
  state?: TaskState;
}

/**
 * The KDF activities of an enablement. Every KDF failure leaves as an `ApplicationFailure` whose `type` is the
 * KDF `error_type` (or `KdfTransportError` / `KdfProtocolError`), retryable per the classification table.
 */
export function createActivities({ nodes, eventStreams }: ActivityDependencies) {
  const clients = new Map<string, KdfClient>();

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

  const enabledCoins = (node: string): Promise<string[]> =>
    clientFor(node).enabledCoins({ signal: Context.current().cancellationSignal });

  /** The task's state. Never forgets a finished task: its state reaches history only when the activity completes. */
  async function readStatus(node: string, taskId: number): Promise<TaskState> {
    try {
      return taskState(await clientFor(node).lightningStatus(taskId, { signal: Context.current().cancellationSignal }));
    } catch (error) {
      if (error instanceof KdfRpcError && error.errorType === 'NoSuchTask') return { kind: 'lost' };
      throw error;
    }
  }

  /**
   * An `Ok`, unless the id now belongs to another task: a restarted KDF numbers tasks from 0 again, so a task that
   * finished unread can be replaced under its id by another ticker's. KDF registers the coin before the task turns
   * Ok (contract §2.5), so the coin listed settles it. When it is not listed, the Ok is doubted only if the same
   * process, asked again, still knows the id: a restart right after the read (the task gone, the coin with it)
   * leaves the Ok KDF reported. A read that fails fails the attempt; the next one starts from the Ok in the
   * heartbeat (`okRead`), so a node that restarts meanwhile does not turn that Ok into a lost task.
   */
  async function confirmOk(node: string, ticker: string, taskId: number, ok: TaskState): Promise<TaskState> {
    if ((await enabledCoins(node)).includes(ticker)) return ok;
    if ((await readStatus(node, taskId)).kind === 'lost') return ok;
    log.warn('a task id read Ok for another ticker: KDF restarted and reused it', { node, ticker, taskId });
    return { kind: 'lost' };
  }

  /**
   * Follows the task until it finishes, or until a phase the workflow does not know has lasted `reportAfterMs`.
   * Status is read after each wait of the backoff schedule; with a healthy event stream, pushed phases are taken as
   * they come and only a finish is confirmed with a read. What was seen goes into `progress`, which heartbeats carry
   * every `FOLLOW_HEARTBEAT_MS` (through waits and slow reads alike), and at once after an Ok read: the confirming
   * reads come next, and a node that restarts before them forgets the task and its Ok (see `confirmOk`).
   * Returns at once after the read that saw the task finish: nothing may come between KDF's answer and the
   * activity's result. KDF failures and the activity's cancellation are thrown.
   */
  async function follow(input: PollInput, progress: PollHeartbeat): Promise<TaskState> {
    const context = Context.current();
    const everyMs = followHeartbeatMs(context.info.heartbeatTimeoutMs);
    const heartbeats = setInterval(() => context.heartbeat(progress), everyMs);
    const heartbeatNow = (): void => {
      context.heartbeat(progress);
      heartbeats.refresh();
    };
    try {
      return await followTask(input, progress, heartbeatNow);
    } finally {
      clearInterval(heartbeats);
    }
  }

  async function followTask(
    { node, ticker, taskId, startedAt, knownPhase, policy, reportAfterMs }: PollInput,
    progress: PollHeartbeat,
    heartbeatNow: () => void
  ): Promise<TaskState> {
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
    for (;;) {
      const nextReadMs = readNow
        ? 0
        : stream?.connected
          ? policy.maxIntervalMs
          : nextScheduledRead(Date.parse(startedAt), policy) - Date.now();
      readNow = false;
      const waitMs = Math.min(nextReadMs, reportAt() - Date.now());
      const pushed = await waitForRead(Math.max(0, waitMs), stream, taskId, afterSeq);
      afterSeq = pushed.at(-1)?.seq ?? afterSeq;
      let confirm = pushed.length === 0;
      for (const event of pushed) {
        const state = event.status && taskState(event.status);
        if (state?.kind === 'in_progress') record(state.phase, event.at, 'push');
        else confirm = true; // a finish (or an unreadable frame) is confirmed by a read
      }
      if (confirm) {
        progress.polls += 1;
        const state = await readStatus(node, taskId);
        const source = pushed.length > 0 ? 'push' : 'poll';
        if (state.kind !== 'in_progress') {
          recordDetection(source);
          stream?.forget(taskId);
          if (state.kind === 'lost' && progress.okRead) return { kind: 'ok', result: progress.okRead };
          if (state.kind !== 'ok') return state;
          progress.okRead = state.result;
          heartbeatNow();
          return confirmOk(node, ticker, taskId, state);
        }
        // KDF numbers tasks from 0 again after a restart: a phase going backwards is another task's
        if (wentBackwards(progress.phase, state.phase)) return { kind: 'lost' };
        record(state.phase, Date.now(), source);
      }
      if (Date.now() >= reportAt()) return { kind: 'in_progress', phase: progress.phase ?? 'unknown' };
    }
  }

  /**
   * `start`, heartbeating every `everyMs` (and at once when `atOnce`): a worker that dies is noticed at the heartbeat
   * timeout. The SDK sends a heartbeat at once only when none went out within the last 0.8 × heartbeat timeout.
   */
  async function startWithHeartbeats(
    { node, ticker, platformCoin, activationParams }: StartInput,
    attemptEnd: number,
    { everyMs, atOnce }: { everyMs: number; atOnce: boolean }
  ): Promise<StartResult> {
    const heartbeats = setInterval(() => Context.current().heartbeat(), everyMs);
    if (atOnce) Context.current().heartbeat();
    try {
      return await asFailures(() => start(node, ticker, platformCoin, activationParams, attemptEnd));
    } finally {
      clearInterval(heartbeats);
    }
  }

  async function start(
    node: string,
    ticker: string,
    platformCoin: string | undefined,
    activationParams: LightningActivationParams,
    attemptEnd: number
  ): Promise<StartResult> {
    const client = clientFor(node);
    let coins: string[];
    try {
      coins = await enabledCoins(node);
    } catch (error) {
      if (!(error instanceof KdfError) || !isRetryable(error)) throw error;
      return { kind: 'not_sent', error: { type: failureTypeOf(error), message: error.message } };
    }
    if (coins.includes(ticker)) return { kind: 'already_enabled' };
    if (platformCoin !== undefined && !coins.includes(platformCoin)) {
      throw ApplicationFailure.create({
        type: 'PlatformCoinIsNotActivated',
        message: `platform coin ${platformCoin} is not enabled on node ${node}; enable it (segwit) before ${ticker}`,
        nonRetryable: true,
        details: [{ platformCoin, enabledCoins: coins }],
      });
    }
    const requestTimeoutMs = nodes.get(node)?.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    if (Date.now() + requestTimeoutMs + INIT_SEND_MARGIN_MS > attemptEnd) {
      const until = new Date(attemptEnd).toISOString();
      const message = `no time left until ${until} to wait for init's reply (request timeout ${requestTimeoutMs} ms)`;
      return { kind: 'not_sent', error: { type: 'InitAttemptTooLate', message } };
    }
    // a stop that came during preflight: nothing was sent (G1)
    if (Context.current().cancellationSignal.aborted) {
      return { kind: 'not_sent', error: { type: 'Cancelled', message: 'cancelled before init was sent' } };
    }
    // the init call as a whole, a wait for a node request slot included: what a stop may have to wait for (G1)
    const initBound = requestTimeoutMs + INIT_SEND_MARGIN_MS;
    const stream = eventStreams?.for(node);
    try {
      // Not the activity's cancellation: an init on the wire is awaited, so that its task id is learned. This
      // signal fires only when the attempt is over or the call has had its bound: an init still waiting for a node
      // request slot then is never sent.
      const { task_id: taskId } = await client.initLightning(
        { ticker, activation_params: activationParams, ...(stream && { client_id: stream.clientId }) },
        { signal: AbortSignal.timeout(Math.max(0, Math.min(attemptEnd - INIT_SEND_MARGIN_MS - Date.now(), initBound))) }
      );
      return { kind: 'started', taskId, startedAt: new Date().toISOString() };
    } catch (error) {
      if (error instanceof KdfRpcError && error.errorType === 'L2IsAlreadyActivated')
        return { kind: 'already_enabled' };
      if (error instanceof KdfRpcError || error instanceof KdfInvalidParamsError) {
        // KDF refused the request (or we could not build it): no task exists; the same request fails again
        throw toApplicationFailure(error, { nonRetryable: true });
      }
      // not a KdfError: the attempt ended while init waited for a node slot or was on the wire
      const failure =
        error instanceof KdfError
          ? { type: failureTypeOf(error), message: error.message }
          : { type: 'InitAborted', message: String(error) };
      const refused = error instanceof KdfTransportError && error.code === 'ECONNREFUSED';
      return refused ? { kind: 'not_sent', error: failure } : { kind: 'in_doubt', error: failure };
    }
  }

  return {
    /**
     * Preflight, then one `task::enable_lightning::init`, never retried here or by Temporal (the workflow runs this
     * with one attempt): only the workflow knows whether an earlier init is in doubt. Preflight: the ticker already
     * enabled needs no init; a named platform coin that is not enabled fails at once. A KDF error reply to init
     * means no task was started and fails non-retryably with KDF's type; every other failure is reported as
     * `not_sent` or `in_doubt`. An attempt sends only while its schedule-to-close leaves room for the reply, so an
     * attempt Temporal has given up on (a busy or slow worker) does not start a task after the workflow moved on.
     */
    async [START_ACTIVITY](input: StartInput): Promise<StartResult> {
      const { info } = Context.current();
      // when Temporal gives up on this attempt (schedule-to-close counts the wait for a worker slot too)
      const attemptEnd = info.scheduledTimestampMs + info.scheduleToCloseTimeoutMs;
      return startWithHeartbeats(input, attemptEnd, { everyMs: START_HEARTBEAT_MS, atOnce: true });
    },

    /**
     * Follows the task until it finishes, or until a phase the workflow does not know has lasted `reportAfterMs`
     * (see `follow`). Heartbeats carry what was seen (the live view, see `PollHeartbeat`), so a retry after a worker
     * crash resumes where the crashed attempt stopped.
     */
    async [POLL_ACTIVITY](input: PollInput): Promise<PollResult> {
      const context = Context.current();
      const progress: PollHeartbeat = (context.info.heartbeatDetails as PollHeartbeat | undefined) ?? {
        phase: input.knownPhase,
        phases: [],
        polls: 0,
      };
      try {
        return pollResult(progress, await follow(input, progress));
      } catch (error) {
        if (error instanceof KdfError) {
          // Seen by the next attempt, which reports it to the workflow's progress.
          const failure = { type: failureTypeOf(error), message: error.message, at: new Date().toISOString() };
          context.heartbeat({ ...progress, lastError: failure } satisfies PollHeartbeat);
        }
        throw toApplicationFailure(error);
      }
    },

    // The first heartbeat the SDK sends at once: a quick init's task id goes out with it, unthrottled (activate.ts)
    [ACTIVATE_ACTIVITY]: createActivate({
      start: (input) => startWithHeartbeats(input, Infinity, { everyMs: ACTIVATE_START_HEARTBEAT_MS, atOnce: false }),
      follow,
    }),

    /**
     * Compensation: cancels the task unless the coin is enabled (KDF's cancel hook would remove the coin whichever
     * task registered it), the task has finished, or its id is gone or taken by another task (a KDF restart), then
     * reads `get_enabled_coins` again, which decides the outcome (docs/guarantees.md G2, G3). Idempotent: after a
     * cancel that went through, the task is gone (`not_found`).
     */
    async [COMPENSATE_ACTIVITY]({ node, ticker, taskId, knownPhase }: CompensateInput): Promise<CompensationResult> {
      return asFailures(async (): Promise<CompensationResult> => {
        const enabled = async () => (await enabledCoins(node)).includes(ticker);
        // a status KDF refuses to give (e.g. the poll's own failure) does not stop the cancel: unknown, not absent
        const state = await readStatus(node, taskId).catch((error: unknown) => {
          if (error instanceof KdfRpcError) return undefined;
          throw error;
        });
        if (await enabled()) {
          // this task may be the one that registered it: its result, when it has one, goes into the report
          return { cancel: 'skipped', enabled: true, ...(state && { state }) };
        }
        // KDF forgot the task (a restart), or a restarted KDF gave its id to another task: nothing to cancel
        if (state?.kind === 'lost' || (state?.kind === 'in_progress' && wentBackwards(knownPhase, state.phase))) {
          return { cancel: 'not_found', enabled: false };
        }
        if (state !== undefined && state.kind !== 'in_progress') return { cancel: 'finished', enabled: false, state };
        let cancel: CancelOutcome = 'cancelled';
        try {
          await clientFor(node).cancelLightning(taskId, { signal: Context.current().cancellationSignal });
        } catch (error) {
          if (!(error instanceof KdfRpcError)) throw error;
          if (error.errorType === 'TaskFinished') cancel = 'finished';
          else if (error.errorType === 'NoSuchTask') cancel = 'not_found';
          else throw error;
        }
        const final = cancel === 'finished' ? await readStatus(node, taskId) : undefined;
        return { cancel, enabled: await enabled(), ...(final && { state: final }) };
      });
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

/** What a poll returns: what it saw, and the state it ended on. */
export function pollResult(progress: PollHeartbeat, state: TaskState): PollResult {
  return {
    phases: progress.phases,
    state,
    polls: progress.polls,
    attempt: Context.current().info.attempt,
    ...(progress.lastError && { lastError: progress.lastError }),
  };
}
