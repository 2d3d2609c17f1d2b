// Turning however an enablement workflow ended into an `EnablementReport`.
import { ApplicationFailure, CancelledFailure, TerminatedFailure, TimeoutFailure } from '@temporalio/common';
import { z } from 'zod';
import { FailureType, Outcome } from '../workflows/api.js';
import type { CancelRequest, EnablementReport } from '../workflows/api.js';

const ReportShape = z.looseObject({
  outcome: z.enum([Outcome.enabled, Outcome.failed, Outcome.cancelled, Outcome.timedOut]),
  node: z.string(),
  ticker: z.string(),
  taskId: z.number().nullable().optional(),
  alreadyEnabled: z.boolean().optional(),
  phases: z.array(z.looseObject({ phase: z.string(), at: z.string() })).optional(),
  durations: z.record(z.string(), z.number()).optional(),
});

/** A value that carries the report fields (a workflow result or a failure detail), normalised; else undefined. */
export function asReport(value: unknown): EnablementReport | undefined {
  const parsed = ReportShape.safeParse(value);
  if (!parsed.success) return undefined;
  const { taskId, alreadyEnabled, phases, durations, ...rest } = parsed.data;
  return {
    ...(rest as Omit<EnablementReport, 'taskId' | 'alreadyEnabled' | 'phases' | 'durations'>),
    taskId: taskId ?? null,
    alreadyEnabled: alreadyEnabled ?? false,
    phases: phases ?? [],
    durations: durations ?? {},
  };
}

/** Failure type → outcome for an ApplicationFailure that carries no report. */
export function outcomeForFailureType(type: string | null | undefined): Outcome {
  if (type === FailureType.cancelled) return Outcome.cancelled;
  if (type === FailureType.timedOut) return Outcome.timedOut;
  return Outcome.failed;
}

interface Context {
  node: string;
  ticker: string;
  /** The last ops cancel request found in the history, for a cancellation without details. */
  cancel?: CancelRequest;
}

function synthesize(ctx: Context, outcome: Outcome, error?: EnablementReport['error']): EnablementReport {
  return {
    outcome,
    node: ctx.node,
    ticker: ctx.ticker,
    taskId: null,
    alreadyEnabled: false,
    phases: [],
    durations: {},
    ...(error ? { error } : {}),
    ...(ctx.cancel ? { cancel: ctx.cancel } : {}),
  };
}

function* causeChain(err: unknown): Generator<unknown> {
  const seen = new Set<unknown>();
  for (let current = err; current != null && !seen.has(current); current = (current as Error).cause) {
    seen.add(current);
    yield current;
  }
}

/**
 * The report of a workflow that did not complete, from the error `handle.result()` threw: the first
 * ApplicationFailure or CancelledFailure detail that is a report, else a report synthesised from the failure.
 * Returns undefined when the error is not a workflow outcome (e.g. a connection error), so callers rethrow.
 */
export function reportFromWorkflowError(err: unknown, ctx: Context): EnablementReport | undefined {
  if (!(err instanceof Error) || err.name !== 'WorkflowFailedError') return undefined;
  const chain = [...causeChain(err.cause)];
  for (const failure of chain) {
    if (failure instanceof ApplicationFailure || failure instanceof CancelledFailure) {
      const report = asReport(failure.details?.[0]);
      if (report) return ctx.cancel && !report.cancel ? { ...report, cancel: ctx.cancel } : report;
    }
  }
  const application = chain.find((failure): failure is ApplicationFailure => failure instanceof ApplicationFailure);
  const top = chain[0];
  if (top instanceof CancelledFailure) {
    return synthesize(ctx, Outcome.cancelled, { type: FailureType.cancelled, message: top.message });
  }
  if (top instanceof TerminatedFailure) {
    return synthesize(ctx, Outcome.failed, { type: 'WorkflowTerminated', message: top.message });
  }
  if (top instanceof TimeoutFailure) {
    return synthesize(ctx, Outcome.timedOut, { type: 'WorkflowExecutionTimedOut', message: top.message });
  }
  if (application) {
    const type = application.type ?? 'ApplicationFailure';
    return synthesize(ctx, outcomeForFailureType(type), { type, message: application.message });
  }
  const message = top instanceof Error ? top.message : err.message;
  return synthesize(ctx, Outcome.failed, { type: top instanceof Error ? top.name : 'WorkflowFailed', message });
}

/** The report of a workflow that completed; a result that is not a report is wrapped (outcome enabled). */
export function reportFromResult(result: unknown, ctx: Context): EnablementReport {
  return asReport(result) ?? synthesize(ctx, Outcome.enabled);
}
