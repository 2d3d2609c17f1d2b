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
  backup_path?: string;
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
}

export interface EnablementProgress {
  node: string;
  ticker: string;
  /** `preflight`, `init`, a KDF InProgress phase, `cancelling`, or the outcome once finished. */
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

export const cancelSignal = defineSignal<[reason: string, requestedBy: string]>('cancel');
export const progressQuery = defineQuery<EnablementProgress>('progress');

export const KdfNodeAttribute = defineSearchAttributeKey('KdfNode', SearchAttributeType.KEYWORD);
export const KdfTickerAttribute = defineSearchAttributeKey('KdfTicker', SearchAttributeType.KEYWORD);
export const KdfPhaseAttribute = defineSearchAttributeKey('KdfPhase', SearchAttributeType.KEYWORD);

export const enablementWorkflowId = (node: string, ticker: string): string => `enable-lightning/${node}/${ticker}`;
