/**
 * The faults a chaos run injects into the simulated nodes: the background ones on every node for the whole run,
 * a `restart-after-reply` on one node, and the bursts and cancel outages the schedule adds while it runs.
 *
 * @module
 */
import type { FaultKind, RunningSimulator } from '../simulator/index.js';

export const CANCEL_METHOD = 'task::enable_lightning::cancel';
export const STATUS_METHOD = 'task::enable_lightning::status';

/** How long a fault burst lasts on its node. */
export const BURST_MS = 10_000;
/** How long a cancel outage lasts: from 5 s before the hanging member's deadline to 30 s after it. */
export const CANCEL_OUTAGE_MS = 35_000;
/** A cancel outage starts this long before the hanging member's deadline (counted from its task's first sight). */
export const CANCEL_OUTAGE_LEAD_MS = 5_000;
/** A slow reply comes this late: after the worker's request timeout (2 s), so the client has left. */
export const SLOW_REPLY_MS = 2_500;

export interface BackgroundFaults {
  /** 5xx and resets. */
  errors: boolean;
  /** Replies dropped after handling, and replies that come after the client gave up (`slow-reply`). */
  lostResponses: boolean;
  malformed: boolean;
  /** Chance that a cancel answers `"success"` while the task completes (0: off). */
  completeOnCancel: number;
}

/**
 * Every node, the whole run, at a low rate. Not `complete-on-cancel` on a node that will have a cancel outage: the
 * first fault that fires wins, in the order they were added, so it would answer the outage's cancels.
 */
export function injectBackgroundFaults(
  simulator: RunningSimulator,
  faults: BackgroundFaults,
  cancelOutage: boolean
): void {
  simulator.injectFault({ kind: 'latency', latencyMs: 300, probability: 0.08 });
  if (faults.errors) {
    simulator.injectFault({ kind: 'http503', probability: 0.02 });
    simulator.injectFault({ kind: 'http500', probability: 0.01 });
    simulator.injectFault({ kind: 'reset', probability: 0.02 });
  }
  if (faults.lostResponses) {
    // one of each for sure, on a status read: at 1 % a short run's few hundred requests miss a kind 1 time in 40
    simulator.injectFault({ kind: 'drop-after-handling', method: STATUS_METHOD, count: 1 });
    simulator.injectFault({ kind: 'slow-reply', method: STATUS_METHOD, latencyMs: SLOW_REPLY_MS, count: 1 });
    simulator.injectFault({ kind: 'drop-after-handling', probability: 0.01 });
    simulator.injectFault({ kind: 'slow-reply', latencyMs: SLOW_REPLY_MS, probability: 0.01 });
  }
  if (faults.malformed) simulator.injectFault({ kind: 'malformed', probability: 0.02 });
  if (faults.completeOnCancel > 0 && !cancelOutage) {
    simulator.injectFault({ kind: 'complete-on-cancel', probability: faults.completeOnCancel });
  }
}

/** The node restarts right after the first status reply that says Ok (G3: the Ok it reported stands). */
export function injectRestartAfterOk(simulator: RunningSimulator): void {
  simulator.injectFault({ kind: 'restart-after-reply', method: STATUS_METHOD, resultStatus: 'Ok', count: 1 });
}

/**
 * A window of time, as a real outage is: a count of failed requests would last as long as the retries (backing off
 * to 30 s) took to use it up, minutes on a node that few enablements use.
 */
export function injectBurst(simulator: RunningSimulator, kind: FaultKind): void {
  simulator.injectFault({ kind, durationMs: BURST_MS });
  simulator.injectFault({ kind: 'latency', latencyMs: 1_500, durationMs: BURST_MS });
}

/** Cancels answer 503: compensation cannot confirm within its 20 s and hands the task to `cancelKdfTask`. */
export function injectCancelOutage(simulator: RunningSimulator): void {
  simulator.injectFault({ kind: 'http503', method: CANCEL_METHOD, durationMs: CANCEL_OUTAGE_MS });
}

/** The fault kinds a run with these settings injects, for the table (0 when none fired). */
export function kindsInjected(faults: BackgroundFaults, restartAfterOk: boolean): FaultKind[] {
  const kinds: FaultKind[] = ['latency', 'http503'];
  if (faults.errors) kinds.push('http500', 'reset');
  if (faults.lostResponses) kinds.push('drop-after-handling', 'slow-reply');
  if (faults.malformed) kinds.push('malformed');
  if (faults.completeOnCancel > 0) kinds.push('complete-on-cancel');
  if (restartAfterOk) kinds.push('restart-after-reply');
  return kinds;
}
