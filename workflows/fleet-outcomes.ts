// How a fleet counts its members' outcomes.
import { ActivityFailure, ApplicationFailure, ChildWorkflowFailure, isCancellation } from '@temporalio/workflow';
import {
  FailureType,
  FLEET_FAILURE_MESSAGE_MAX,
  FLEET_FAILURES_KEPT,
  Outcome,
  type EnablementReport,
  type FleetCarried,
} from './api.js';

/** A pair found enabled by its node's preflight: no member started. */
export function recordAlreadyEnabled(carried: FleetCarried): void {
  carried.counts.enabled += 1;
  carried.counts.alreadyEnabled += 1;
}

/** A member's end: its report (enabled) or its failure; `drifted` when its node had dropped the coin. */
export function recordOutcome(
  carried: FleetCarried,
  member: { node: string; ticker: string; drifted?: boolean },
  report: EnablementReport | undefined,
  failure: unknown
): void {
  const { counts } = carried;
  if (report) {
    counts.enabled += 1;
    if (report.alreadyEnabled) counts.alreadyEnabled += 1;
    else if (member.drifted) counts.reEnabled += 1;
    else counts.enabledNow += 1;
    return;
  }
  const { outcome, type, message } = classifyFailure(failure);
  counts[outcome] += 1;
  const kept = message.length > FLEET_FAILURE_MESSAGE_MAX ? `${message.slice(0, FLEET_FAILURE_MESSAGE_MAX)}…` : message;
  carried.failures.push({ node: member.node, ticker: member.ticker, outcome, type, message: kept });
  if (carried.failures.length > FLEET_FAILURES_KEPT) carried.failures.shift();
}

function classifyFailure(failure: unknown): { outcome: Exclude<Outcome, 'enabled'>; type: string; message: string } {
  const cause = failure instanceof ChildWorkflowFailure || failure instanceof ActivityFailure ? failure.cause : failure;
  if (isCancellation(cause)) return { outcome: Outcome.cancelled, type: 'Cancelled', message: 'enablement cancelled' };
  if (cause instanceof ApplicationFailure) {
    const type = cause.type ?? 'ApplicationFailure';
    const outcome =
      type === FailureType.timedOut
        ? Outcome.timedOut
        : type === FailureType.cancelled
          ? Outcome.cancelled
          : Outcome.failed;
    return { outcome, type, message: cause.message };
  }
  const message = cause instanceof Error ? cause.message : String(cause);
  return { outcome: Outcome.failed, type: cause instanceof Error ? cause.name : 'UnknownError', message };
}
