// Workflow input/result types, signal/query definitions and ids shared by workflows, worker and client.
// Plain data only: input is validated by the client before it starts a workflow, and again (cheaply) in the workflow.
// @temporalio/common is the SDK's sandbox-safe shared package; typed search-attribute keys live only there.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal } from '@temporalio/workflow';

/** Default task queue; the worker and the client read `KDF_TASK_QUEUE` to override it. */
export const DEFAULT_TASK_QUEUE = 'kdf-lightning';

/** `task::enable_lightning::init` `activation_params`, in KDF's own field names. */
export interface LightningActivationParams {
  /** Node alias, at most 32 UTF-8 bytes. */
  name: string;
  /** @default 9735 */
  listening_port?: number;
  /** Six hex digits, no `#`. @default '000000' */
  color?: string;
  /** @default 5 */
  payment_retries?: number;
  /** null: none, as when absent (KDF reads an Option) */
  backup_path?: string | null;
}

/** Status polling schedule: starts at `initialIntervalMs`, multiplies by `backoffCoefficient`, capped. */
export interface PollPolicy {
  /** @default 1000 */
  initialIntervalMs: number;
  /** @default 15000 */
  maxIntervalMs: number;
  /** @default 1.5 */
  backoffCoefficient: number;
}

export interface EnableLightningInput {
  /** Node id, resolved to a URL and credentials by the worker's node registry. */
  node: string;
  /** Lightning ticker as in the node's coins config, e.g. `tBTC-lightning`. */
  ticker: string;
  /** When given, preflight fails fast if this coin is not enabled on the node. */
  platformCoin?: string;
  activationParams: LightningActivationParams;
  /** Deadline for the whole enablement in milliseconds. @default 900000 (15 minutes) */
  timeoutMs?: number;
  /**
   * How long compensation keeps trying to cancel a task the enablement leaves unfinished, through a node outage.
   * What does not fit in the enablement's own bound (deadline + 60 s) goes on in a workflow of its own.
   * @default 900000 (15 minutes)
   */
  compensationWindowMs?: number;
  poll?: Partial<PollPolicy>;
}

/** InProgress phases in the order KDF emits them (contract §4.3); the workflow also accepts unknown strings. */
export const LIGHTNING_PHASES = [
  'ActivatingCoin',
  'GettingFeesFromRPC',
  'ReadingNetworkGraphFromFile',
  'InitializingChannelManager',
  'InitializingPeerManager',
  'ReadingScorerFromFile',
  'InitializingBackgroundProcessor',
  'ReadingChannelsAddressesFromFile',
] as const;

export const Outcome = {
  enabled: 'enabled',
  failed: 'failed',
  cancelled: 'cancelled',
  timedOut: 'timed_out',
} as const;
export type Outcome = (typeof Outcome)[keyof typeof Outcome];

/** Failure types this project adds next to KDF's own `error_type`s. */
export const FailureType = {
  cancelled: 'EnablementCancelled',
  timedOut: 'EnablementTimedOut',
  invalidInput: 'InvalidEnablementInput',
  taskLost: 'KdfTaskLost',
} as const;

export interface PhaseRecord {
  phase: string;
  /** ISO-8601 time the phase was first observed. */
  at: string;
}

export interface CancelRequest {
  reason: string;
  requestedBy: string;
  at: string;
}

/** The longest `reason` and `requestedBy` kept: both go into failure messages, memos and the UI. */
export const MAX_CANCEL_TEXT = 500;

/** What a cancel signal carried, as workflows record it: text, cut at MAX_CANCEL_TEXT (a signal need not come from
 * the CLI, which refuses longer ones). */
export function cancelRequestOf(reason: unknown, requestedBy: unknown, at: string): CancelRequest {
  const text = (value: unknown): string => String(value ?? '').slice(0, MAX_CANCEL_TEXT);
  return { reason: text(reason), requestedBy: text(requestedBy), at };
}

export interface LightningBalance {
  spendable: string;
  unspendable: string;
}

/**
 * What every enablement reports, whatever its outcome: the workflow result for `enabled` (and for a coin that
 * turned out enabled after all), the first detail of the failure or cancellation otherwise.
 */
export interface EnablementReport {
  outcome: Outcome;
  node: string;
  ticker: string;
  /** KDF task id; null when no task was started (already enabled, or stopped before init). */
  taskId: number | null;
  /** True when the ticker was enabled before this workflow ran (no init call). */
  alreadyEnabled: boolean;
  platformCoin?: string;
  address?: string;
  balance?: LightningBalance;
  phases: PhaseRecord[];
  /** Milliseconds spent in each observed phase. */
  durations: Record<string, number>;
  /** `failed`: the KDF `error_type` (or one of {@link FailureType}), message and KDF error data. */
  error?: { type: string; message: string; data?: unknown };
  cancel?: CancelRequest;
  /**
   * Inits whose reply never came: each may have started a task whose id KDF gives no way to learn. KDF lets one
   * task of a ticker register the coin and one bind the listening port, so such a task ends by itself (docs/G4).
   */
  initsInDoubt?: number;
  /**
   * What compensation did with a task the enablement left unfinished: the answer of `task::enable_lightning::cancel`
   * (`skipped`: the coin was enabled, so no cancel was sent), or `handed_off` to the workflow `workflowId`, which
   * keeps trying when the node did not answer in time.
   */
  compensation?: {
    result: 'cancelled' | 'finished' | 'not_found' | 'skipped' | 'handed_off';
    workflowId?: string;
    error?: { type: string; message: string };
  };
}

/** Input of {@link COMPENSATION_WORKFLOW}. */
export interface CompensationInput {
  node: string;
  ticker: string;
  taskId: number;
  /** The task's latest phase the enablement knew (a task under this id in an earlier phase is another one). */
  knownPhase: string | null;
  /** Keep trying until this long after the workflow started. */
  windowMs: number;
}

/** What {@link COMPENSATION_WORKFLOW} ends with: the last cancel answer and the node's state. */
export interface CompensationReport {
  node: string;
  ticker: string;
  taskId: number;
  /** `unconfirmed` when the node never answered within the window. */
  result: 'cancelled' | 'finished' | 'not_found' | 'skipped' | 'unconfirmed';
  /** Whether the coin was enabled at the last read; null when never read. */
  enabled: boolean | null;
  lastError?: { type: string; message: string };
}

/** The workflow type that goes on cancelling a task after its enablement ended (see design.md G2). */
export const COMPENSATION_WORKFLOW = 'cancelKdfTask';
export const compensationWorkflowId = (node: string, ticker: string, taskId: number): string =>
  `cancel-kdf-task/${node}/${ticker}/${taskId}`;

/** Memo key under which a cancelled workflow leaves its report (Temporal drops a cancelled workflow's details). */
export const REPORT_MEMO_KEY = 'report';

/** An enablement's phase (and `KdfPhase`) until it knows its KDF task id. */
export const STARTING_PHASE = 'starting';
/** Its phase while the task runs and no KDF phase has lasted long enough to be reported (see {@link POLL_ACTIVITY}). */
export const ACTIVATING_PHASE = 'activating';

/**
 * The activity that follows a KDF task until it finishes. It reports a phase to the workflow only once the phase
 * has lasted {@link PollHeartbeat}-visible for a while, so its heartbeat details are the live view.
 */
export const POLL_ACTIVITY = 'pollTask';
/**
 * The activity that reads `get_enabled_coins`, then sends `task::enable_lightning::init` if the coin is not
 * enabled; one attempt each time (the workflow decides about another).
 */
export const START_ACTIVITY = 'startTask';
/**
 * The activity of an enablement from v5 on: `get_enabled_coins`, one `task::enable_lightning::init` unless the coin
 * is enabled, then it follows the task as {@link POLL_ACTIVITY} does (or only follows a task it is given). One
 * attempt each time; its heartbeat carries the task id from init's reply on (`PollHeartbeat.task`).
 */
export const ACTIVATE_ACTIVITY = 'activate';
/** The activity that cancels a task unless its coin is enabled, then reads `get_enabled_coins`. */
export const COMPENSATE_ACTIVITY = 'compensateTask';

/** A KDF task and when init returned it (the polling schedule counts from there). */
export interface TaskHandle {
  taskId: number;
  /** ISO-8601 */
  startedAt: string;
}

/**
 * The heartbeat details of {@link POLL_ACTIVITY} and {@link ACTIVATE_ACTIVITY}: the UI shows them under "pending
 * activities".
 */
export interface PollHeartbeat {
  /**
   * The task followed ({@link ACTIVATE_ACTIVITY} only): a workflow whose activity timed out (a dead worker) learns
   * it from the last heartbeat, `TimeoutFailure.lastHeartbeatDetails`.
   */
  task?: TaskHandle;
  /** The task's current InProgress phase, null before the first status is known. */
  phase: string | null;
  /** Phases first seen by this poll, oldest first (earlier ones are in the workflow's progress). */
  phases: PhaseRecord[];
  /** Status calls made so far by this poll. */
  polls: number;
  lastError?: { type: string; message: string; at: string };
  /**
   * The Ok this poll read and was checking when its attempt failed: if the next attempt finds the task gone, KDF
   * restarted after reporting it, and that Ok stands (docs/guarantees.md G3).
   */
  okRead?: LightningActivation;
}

/** What a task that ended Ok reported (`status` details, in our field names). */
export interface LightningActivation {
  platformCoin: string;
  address: string;
  balance: LightningBalance;
}

export interface EnablementProgress {
  node: string;
  ticker: string;
  /**
   * `starting`, `activating` (the task runs; see `phases` for its KDF phases), a KDF phase that has lasted a while,
   * `cancelling`, or the outcome once finished.
   */
  phase: string;
  taskId: number | null;
  phases: PhaseRecord[];
  pollCount: number;
  /** Activity attempts that failed and were retried, across all steps. */
  retries: number;
  lastError?: { type: string; message: string; at: string };
  cancel?: CancelRequest;
  outcome?: Outcome;
}

/**
 * Records why and by whom an enablement is being cancelled; it stops nothing by itself. Cancelling is Temporal
 * cancellation (the UI's button, `kdf-lightning cancel`, a fleet's cancel), which the CLI, the library and the
 * fleet send right after this signal, so the report names the reason and the requester.
 */
export const cancelSignal = defineSignal<[reason: string, requestedBy: string]>('cancel');
export const progressQuery = defineQuery<EnablementProgress>('progress');

export const KdfNodeAttribute = defineSearchAttributeKey('KdfNode', SearchAttributeType.KEYWORD);
export const KdfTickerAttribute = defineSearchAttributeKey('KdfTicker', SearchAttributeType.KEYWORD);
export const KdfPhaseAttribute = defineSearchAttributeKey('KdfPhase', SearchAttributeType.KEYWORD);
/** The KDF task an enablement follows, for operators (no decision reads it: design.md G7). */
export const KdfTaskIdAttribute = defineSearchAttributeKey('KdfTaskId', SearchAttributeType.INT);

export const enablementWorkflowId = (node: string, ticker: string): string => `enable-lightning/${node}/${ticker}`;

export * from './fleet-api.js';
