// How a fleet ended, for the three fleet commands: its summary (across continue-as-new runs, or from the memo of a
// cancelled one), the exit code it maps to, following it live, and printing it.
import { WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import type { Client } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { fleetWorkflowId, REPORT_MEMO_KEY } from '../../workflows/api.js';
import type { FleetProgress } from '../../workflows/api.js';
import { ExitCode, worstExitCode } from '../exit-codes.js';
import { fleetHandle, waitForFleet } from '../fleet.js';
import { fleetBarView, fleetDetails, fleetFailuresReport, fleetLineView, silentFleetView } from '../output.js';
import type { FleetView } from '../output.js';
import { ID_PATTERN } from '../schema.js';
import { Exit, usage, writeJson } from './context.js';
import type { Context } from './context.js';

export const FLEET_EXIT_CODES_HELP = `Exit codes (fleet commands):
  0   every member enabled, or the command succeeded (fleet without --wait,
      fleet-status of a running fleet, fleet-cancel --no-wait)
  2   a member failed (KDF error, lost task, terminated), or the fleet workflow itself failed
  3   the fleet was cancelled (whatever its members did before), or a member was cancelled
  4   a member timed out
  64  bad usage or manifest (the message names the flag or the manifest field)
  66  no such fleet; fleet-cancel: the fleet is not running
  69  Temporal server unreachable
  70  unexpected internal error
Unless the fleet was cancelled, the worst member outcome wins: failed > timed out > cancelled > enabled.`;

/** Thrown when no fleet workflow exists under an id, or (fleet-cancel) it is not running: exit 66. */
export class FleetNotFoundError extends Error {
  override name = 'FleetNotFoundError';
  constructor(
    message: string,
    readonly workflowId: string
  ) {
    super(message);
  }
}

/** The fleet workflow itself ended without a summary (terminated, failed): exit with `code`. */
export class FleetEndedError extends Error {
  override name = 'FleetEndedError';
  constructor(
    message: string,
    readonly code: ExitCode
  ) {
    super(message);
  }
}

const fleetNotFound = (fleetId: string): FleetNotFoundError =>
  new FleetNotFoundError(`no fleet ${fleetId} (workflow ${fleetWorkflowId(fleetId)})`, fleetWorkflowId(fleetId));

/** Checked before connecting: the id ends up in a workflow id and a visibility query. */
export function requireFleetId(fleetId: string): string {
  if (!ID_PATTERN.test(fleetId)) {
    throw usage(
      `FLEET_ID: "${fleetId}" is not a valid fleet id (1-64 letters, digits, ".", "_" or "-", starting with a letter or digit)`,
      'FLEET_ID'
    );
  }
  return fleetId;
}

/**
 * Exit code of a finished fleet: cancelled (3) when the fleet was cancelled, else the worst member outcome;
 * 0 only when every member ended enabled.
 */
export function fleetExitCode(progress: FleetProgress, cancelled = progress.cancel !== undefined): ExitCode {
  if (cancelled) return ExitCode.cancelled;
  const { counts } = progress;
  const codes: ExitCode[] = [];
  if (counts.failed > 0) codes.push(ExitCode.failed);
  if (counts.timed_out > 0) codes.push(ExitCode.timedOut);
  if (counts.cancelled > 0) codes.push(ExitCode.cancelled);
  const worst = worstExitCode(codes);
  // members that never ended (a fleet cut short) did not get enabled either
  if (worst === ExitCode.ok && counts.enabled < progress.total) return ExitCode.failed;
  return worst;
}

export type FleetStatus = 'running' | 'cancelling' | 'finished' | 'cancelled';

export interface FleetEnd {
  progress: FleetProgress;
  /** Cancelled through `fleet-cancel` (progress.cancel) or by a Temporal cancellation (e.g. from the UI). */
  cancelled: boolean;
}

const isFleetProgress = (value: unknown): value is FleetProgress =>
  typeof value === 'object' && value !== null && 'fleetId' in value && 'counts' in value && 'total' in value;

export async function describeFleet(client: Client, fleetId: string) {
  try {
    return await fleetHandle(client, fleetId).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw fleetNotFound(fleetId);
    throw err;
  }
}

/** The summary of a fleet whose result() threw: the memo of a cancelled one, else an error with its exit code. */
async function fleetEndFromError(client: Client, fleetId: string, err: unknown): Promise<FleetEnd> {
  if (err instanceof WorkflowNotFoundError) throw fleetNotFound(fleetId);
  if (!(err instanceof WorkflowFailedError)) throw err;
  if (err.cause instanceof CancelledFailure) {
    const memo = await fleetHandle(client, fleetId)
      .describe()
      .then(
        (description) => description.memo?.[REPORT_MEMO_KEY],
        () => undefined
      );
    if (isFleetProgress(memo)) return { progress: memo, cancelled: true };
    throw new FleetEndedError(`fleet ${fleetId} was cancelled before it recorded a summary`, ExitCode.cancelled);
  }
  const cause = err.cause ? `: ${err.cause.message}` : '';
  throw new FleetEndedError(`fleet ${fleetId}: ${err.message}${cause}`, ExitCode.failed);
}

/** The final summary of a finished fleet (across its continue-as-new runs). */
export async function fleetEnd(client: Client, fleetId: string): Promise<FleetEnd> {
  try {
    const progress = await fleetHandle(client, fleetId).result();
    return { progress, cancelled: progress.cancel !== undefined };
  } catch (err) {
    return fleetEndFromError(client, fleetId, err);
  }
}

function fleetViewFor(ctx: Context): FleetView {
  if (ctx.json) return silentFleetView();
  return ctx.io.stdout.isTTY ? fleetBarView(ctx.io.stdout) : fleetLineView(ctx.io.stdout);
}

const FLEET_POLL_MS = 1_000;

/** Follows a fleet with its `progress` query until it ends. */
export async function followFleet(ctx: Context, client: Client, fleetId: string): Promise<FleetEnd> {
  const view = fleetViewFor(ctx);
  try {
    const progress = await waitForFleet(client, fleetId, (update) => view.update(update), FLEET_POLL_MS);
    return { progress, cancelled: progress.cancel !== undefined };
  } catch (err) {
    return await fleetEndFromError(client, fleetId, err);
  } finally {
    view.stop();
  }
}

export const fleetJson = (workflowId: string, status: FleetStatus, progress: FleetProgress, extra: object = {}) => ({
  workflowId,
  status,
  ...progress,
  ...extra,
});

/**
 * Prints a finished fleet (summary and failures table, or JSON; `lead`: what precedes the human summary) and ends
 * with its exit code.
 */
export function finishFleet(ctx: Context, end: FleetEnd, extra: object = {}, lead = '\n'): void {
  const workflowId = fleetWorkflowId(end.progress.fleetId);
  const status: FleetStatus = end.cancelled ? 'cancelled' : 'finished';
  if (ctx.json) writeJson(ctx.io, fleetJson(workflowId, status, end.progress, extra));
  else
    ctx.io.stdout.write(`${lead}${fleetDetails(workflowId, status, end.progress)}${fleetFailuresReport(end.progress)}`);
  const code = fleetExitCode(end.progress, end.cancelled);
  if (code !== ExitCode.ok) throw new Exit(code);
}
