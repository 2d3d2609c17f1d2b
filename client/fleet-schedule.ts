// Fleets that keep converging: a Temporal Schedule runs a manifest's fleet on an interval, so that pairs a KDF
// restart dropped are enabled again within one interval (design.md G6).
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  WorkflowFailedError,
  type Client,
  type ScheduleDescription,
} from '@temporalio/client';
import { fleetWorkflowId, KdfFleetAttribute, type FleetInput, type FleetProgress } from '../workflows/api.js';
import { taskQueueFromEnv } from './connection.js';
import { assertFleetInputSize, FLEET_WORKFLOW_TYPE, fleetSize } from './fleet.js';
import { ID_PATTERN, InputError } from './schema.js';

/** The shortest interval a fleet schedule accepts. */
export const MIN_FLEET_INTERVAL_MS = 1_000;
/** Recent runs a schedule's status shows (Temporal keeps the last 10 actions). */
const RECENT_RUNS = 10;

export const fleetScheduleId = (fleetId: string): string => `fleet/${fleetId}`;

export interface FleetScheduleOptions {
  everyMs: number;
  /**
   * After an outage of the Temporal server, runs missed less than this long ago are still taken (one at most: the
   * overlap policy skips a run while another runs). @default everyMs (a run missed longer ago is superseded anyway)
   */
  catchupWindowMs?: number;
  /** @default KDF_TASK_QUEUE, else `kdf-lightning` */
  taskQueue?: string;
}

export interface ScheduledFleet {
  scheduleId: string;
  /** Whether an existing schedule was updated (the manifest, interval and limits replaced). */
  updated: boolean;
  nextRuns: string[];
}

/**
 * Creates the fleet's schedule, or updates it when it exists: every `everyMs`, a fleet run over the manifest; a run
 * is skipped while the previous one still runs.
 * @throws {InputError} for an interval below {@link MIN_FLEET_INTERVAL_MS} or an input too large for one payload
 */
export async function scheduleFleet(
  client: Client,
  input: FleetInput,
  options: FleetScheduleOptions
): Promise<ScheduledFleet> {
  assertFleetId(input.fleetId);
  assertFleetInputSize(input);
  if (!(options.everyMs >= MIN_FLEET_INTERVAL_MS)) {
    throw new InputError(`--every: must be at least ${MIN_FLEET_INTERVAL_MS / 1000}s`, '--every');
  }
  const scheduleId = fleetScheduleId(input.fleetId);
  const { pairs, nodes } = fleetSize(input);
  const spec = { intervals: [{ every: options.everyMs }] };
  const action = {
    type: 'startWorkflow' as const,
    workflowType: FLEET_WORKFLOW_TYPE,
    args: [input],
    // the server appends each run's scheduled time to this id
    workflowId: fleetWorkflowId(input.fleetId),
    taskQueue: options.taskQueue ?? taskQueueFromEnv(),
    typedSearchAttributes: [{ key: KdfFleetAttribute, value: input.fleetId }],
    staticSummary: `Scheduled fleet ${input.fleetId}: ${pairs} enablements on ${nodes} KDF nodes`,
  };
  const policies = {
    overlap: ScheduleOverlapPolicy.SKIP,
    catchupWindow: options.catchupWindowMs ?? options.everyMs,
  };
  let updated = false;
  try {
    await client.schedule.create({ scheduleId, spec, action, policies });
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    updated = true;
    await client.schedule.getHandle(scheduleId).update((previous) => ({ ...previous, spec, action, policies }));
  }
  const description = await client.schedule.getHandle(scheduleId).describe();
  return { scheduleId, updated, nextRuns: description.info.nextActionTimes.map((at) => at.toISOString()) };
}

/** One run a schedule started: its workflow, status and, once it ended, its summary (how many pairs drifted…). */
export interface FleetScheduleRun {
  workflowId: string;
  runId: string;
  scheduledAt: string;
  status: string;
  summary?: FleetProgress;
  /** Why there is no summary for a run that ended (failed, terminated). */
  error?: string;
}

export interface FleetScheduleStatus {
  scheduleId: string;
  fleetId: string;
  paused: boolean;
  note?: string;
  everyMs?: number;
  catchupWindowMs: number;
  overlap: string;
  nextRuns: string[];
  /** The latest first. */
  recentRuns: FleetScheduleRun[];
}

/** The schedule of a fleet with its last runs, or undefined when the fleet has none. */
export async function fleetScheduleStatus(client: Client, fleetId: string): Promise<FleetScheduleStatus | undefined> {
  assertFleetId(fleetId);
  let description: ScheduleDescription;
  try {
    description = await client.schedule.getHandle(fleetScheduleId(fleetId)).describe();
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) return undefined;
    throw error;
  }
  const interval = description.spec.intervals?.[0]?.every;
  const recent = description.info.recentActions.slice(-RECENT_RUNS).reverse();
  return {
    scheduleId: description.scheduleId,
    fleetId,
    paused: description.state.paused,
    ...(description.state.note ? { note: description.state.note } : {}),
    ...(interval !== undefined && { everyMs: Number(interval) }),
    catchupWindowMs: description.policies.catchupWindow,
    overlap: description.policies.overlap ?? 'unspecified',
    nextRuns: description.info.nextActionTimes.map((at) => at.toISOString()),
    recentRuns: await Promise.all(recent.map((action) => scheduledRun(client, action))),
  };
}

async function scheduledRun(
  client: Client,
  { scheduledAt, action }: ScheduleDescription['info']['recentActions'][number]
): Promise<FleetScheduleRun> {
  const { workflowId, firstExecutionRunId: runId } = action.workflow;
  const handle = client.workflow.getHandle<(input: FleetInput) => Promise<FleetProgress>>(workflowId, runId);
  const base = { workflowId, runId, scheduledAt: scheduledAt.toISOString() };
  const { status } = await handle.describe();
  if (status.name === 'RUNNING') return { ...base, status: 'running' };
  try {
    // follows the run's continue-as-new chain to its last run
    return { ...base, status: 'finished', summary: await handle.result() };
  } catch (error) {
    const message = error instanceof WorkflowFailedError ? (error.cause?.message ?? error.message) : String(error);
    return { ...base, status: status.name.toLowerCase(), error: message };
  }
}

/** Pauses the fleet's schedule: no run starts until it is resumed; a running one goes on. */
export async function pauseFleetSchedule(client: Client, fleetId: string, note: string): Promise<void> {
  await scheduleHandle(client, fleetId).pause(note);
}

export async function resumeFleetSchedule(client: Client, fleetId: string, note: string): Promise<void> {
  await scheduleHandle(client, fleetId).unpause(note);
}

/** Deletes the fleet's schedule; a run it started goes on (cancel it with `fleet-cancel`). */
export async function deleteFleetSchedule(client: Client, fleetId: string): Promise<void> {
  await scheduleHandle(client, fleetId).delete();
}

function scheduleHandle(client: Client, fleetId: string) {
  assertFleetId(fleetId);
  return client.schedule.getHandle(fleetScheduleId(fleetId));
}

function assertFleetId(fleetId: string): void {
  if (!ID_PATTERN.test(fleetId)) throw new InputError(`fleet: "${fleetId}" is not a valid fleet id`, 'fleet');
}
