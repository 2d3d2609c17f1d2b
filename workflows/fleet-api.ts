// The fleet's part of the workflows' contract: its input (nodes, tickers, defaults), progress, summary, dry-run plan,
// signal, query, ids and search attribute. Re-exported by api.ts, so importers name api.ts for both halves.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { CancelRequest, LightningActivationParams, Outcome, PollPolicy } from './api.js';

export const KdfFleetAttribute = defineSearchAttributeKey('KdfFleet', SearchAttributeType.KEYWORD);

/** One (node, ticker) pair of a fleet, as the fleet expands it; unset fields come from the fleet's defaults. */
export interface FleetMember {
  node: string;
  ticker: string;
  platformCoin?: string;
  activationParams?: Partial<LightningActivationParams>;
  timeoutMs?: number;
}

/** A ticker of a fleet node, with what it sets for itself (it wins over its node's and the fleet's defaults). */
export interface FleetTicker {
  ticker: string;
  activationParams?: Partial<LightningActivationParams>;
  platformCoin?: string;
  timeoutMs?: number;
}

/** A node of a fleet and its tickers, started in this order. */
export interface FleetNode {
  node: string;
  /** @default the fleet's `defaults.tickers` */
  tickers?: FleetTicker[];
  platformCoin?: string;
  activationParams?: Partial<LightningActivationParams>;
  timeoutMs?: number;
}

export interface FleetDefaults {
  /** The tickers of every node that lists none: a manifest's size stays that of the manifest, not of its pairs. */
  tickers?: FleetTicker[];
  /** `name` defaults to the member's node id (KDF limits it to 32 bytes). */
  activationParams: Partial<LightningActivationParams>;
  platformCoin?: string;
  timeoutMs?: number;
  poll?: Partial<PollPolicy>;
}

export interface FleetInput {
  fleetId: string;
  defaults: FleetDefaults;
  /** Node by node, in manifest order; each (node, ticker) pair at most once. */
  nodes: FleetNode[];
  /** Members running at once across the fleet. @default 50 */
  concurrency?: number;
  /** Members running at once on one node. @default 2 */
  perNodeConcurrency?: number;
  /** Member starts per second; unlimited when absent. */
  startsPerSecond?: number;
  /**
   * Starts (and members followed) after which a run continues as new, handing on its running members; each costs
   * about 4 history events. @default 1000
   */
  startsPerRun?: number;
  /** Set by the workflow itself when it continues as new; never by callers. */
  carried?: FleetCarried;
}

/** Groups explicit pairs into fleet nodes, keeping their order (for callers that build pairs, not manifests). */
export function fleetNodesOf(members: readonly FleetMember[]): FleetNode[] {
  const nodes = new Map<string, FleetTicker[]>();
  for (const { node, ...ticker } of members) {
    const tickers = nodes.get(node);
    if (tickers) tickers.push(ticker);
    else nodes.set(node, [ticker]);
  }
  return [...nodes].map(([node, tickers]) => ({ node, tickers }));
}

export interface FleetFailure {
  node: string;
  ticker: string;
  outcome: Outcome;
  type: string;
  message: string;
}

export interface FleetCounts {
  /** Pairs enabled at the end of this fleet run: `alreadyEnabled` + `enabledNow` + `reEnabled`. */
  enabled: number;
  failed: number;
  cancelled: number;
  timed_out: number;
  /** Of `enabled`: found enabled, no init (one `get_enabled_coins` per node, or the member's own preflight). */
  alreadyEnabled: number;
  /** Of `enabled`: activated by this run, with no earlier enablement of the pair on record. */
  enabledNow: number;
  /** Of `enabled`: activated again by this run after a KDF restart dropped them (see `drifted`). */
  reEnabled: number;
  /** Pairs whose last enablement had completed but whose coin the node no longer had (KDF keeps coins in memory). */
  drifted: number;
}

export const emptyFleetCounts = (): FleetCounts => ({
  enabled: 0,
  failed: 0,
  cancelled: 0,
  timed_out: 0,
  alreadyEnabled: 0,
  enabledNow: 0,
  reEnabled: 0,
  drifted: 0,
});

/** A member started by an earlier run of the fleet and still running when it continued as new. */
export interface CarriedMember {
  node: string;
  ticker: string;
  /** The run the fleet started, when it started it. */
  runId?: string;
  /** Found dropped by a KDF restart (counted in `drifted`): enabled, it counts as `reEnabled`. */
  drifted?: boolean;
}

/** State a fleet hands to its next run when it continues as new: counts, and what is left to do. */
export interface FleetCarried {
  /** Pairs in the whole manifest. */
  total: number;
  /** Pairs reached so far (started, or found enabled). */
  reached: number;
  /** Per node left in `nodes` that takes `defaults.tickers`: how many of them earlier runs reached (in order). */
  next: Record<string, number>;
  /**
   * Per node left in `nodes` whose enablements a preflight has read: its tickers not yet reached that a KDF restart
   * dropped (usually none), so that later runs read the node again but not the enablements.
   */
  drifted?: Record<string, string[]>;
  /** Members still running: the next run follows them instead of waiting for them before continuing. */
  running: CarriedMember[];
  counts: FleetCounts;
  failures: FleetFailure[];
  runs: number;
  cancel?: CancelRequest;
}

export interface FleetProgress {
  fleetId: string;
  total: number;
  /** Pairs reached: started, or found enabled by the node's preflight. */
  started: number;
  running: number;
  counts: FleetCounts;
  /** The most recent failures (at most {@link FLEET_FAILURES_KEPT}), with reasons. */
  failures: FleetFailure[];
  /** Workflow runs so far (the fleet continues as new to keep each history small). */
  runs: number;
  cancel?: CancelRequest;
  done: boolean;
}

/**
 * Child starts in flight at once (command issued, `ChildWorkflowExecutionStarted` not yet recorded). The fleet issues
 * starts without awaiting each one, so that a workflow task issues as many as the bounds allow; this caps the commands
 * of one task and the start work queued in the server. Also the benchmark's fleet floor's bound (bench/floor.ts).
 */
export const MAX_PENDING_STARTS = 50;

export const FLEET_FAILURES_KEPT = 500;
/** A kept failure's message is cut here: 500 of them travel in every continue-as-new input and the memo. */
export const FLEET_FAILURE_MESSAGE_MAX = 500;

export const fleetCancelSignal = defineSignal<[reason: string, requestedBy: string]>('cancelFleet');
export const fleetProgressQuery = defineQuery<FleetProgress>('progress');

export const fleetWorkflowId = (fleetId: string): string => `fleet/${fleetId}`;

/** What a dry run finds for one pair; {@link PLAN_FINDINGS_BY_SEVERITY} orders them. */
export const PlanFinding = {
  /** Not enabled, nothing in the way: a fleet run would start it. */
  ready: 'ready',
  alreadyEnabled: 'already_enabled',
  /** An enablement of the pair is running: a fleet run would join it. */
  running: 'running',
  /** The pair's platform coin is not enabled on the node: its enablement would fail at preflight. */
  platformMissing: 'platform_missing',
  /** The node did not answer (refused, timed out, an HTTP or protocol error). */
  nodeDown: 'node_down',
  /** The node refused the worker's userpass. */
  badUserpass: 'bad_userpass',
  /** The node id is not in the worker's node registry (KDF_NODES_FILE). */
  unknownNode: 'unknown_node',
} as const;
export type PlanFinding = (typeof PlanFinding)[keyof typeof PlanFinding];
/** Least severe first: the worst finding of a plan decides its exit code. */
export const PLAN_FINDINGS_BY_SEVERITY: readonly PlanFinding[] = [
  'already_enabled',
  'ready',
  'running',
  'platform_missing',
  'node_down',
  'bad_userpass',
  'unknown_node',
];

export interface PlanRow {
  node: string;
  ticker: string;
  finding: PlanFinding;
  /** Why: the node's error type and message, the missing coin; for `ready`, a coin a KDF restart dropped. */
  detail?: string;
}

/** A dry run's answer: one row per pair, in manifest order. */
export interface FleetPlan {
  fleetId: string;
  total: number;
  counts: Record<PlanFinding, number>;
  rows: PlanRow[];
}

export const fleetDryRunWorkflowId = (fleetId: string, runKey: string): string => `fleet-dry-run/${fleetId}/${runKey}`;
