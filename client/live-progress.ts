// The live view of a running enablement: the workflow's `progress` query, brought up to date with the heartbeat of
// its pending `pollTask` (v2) or `activate` (v5) activity (the workflow itself only learns the phases that lasted a
// while, and, from v5 on, its task id only when `activate` returns).
import { fromPayloadsAtIndex } from '@temporalio/common';
import type { ActivitySerializationContext, LoadedDataConverter, Payload } from '@temporalio/common';
import { z } from 'zod';
import { ACTIVATE_ACTIVITY, ACTIVATING_PHASE, Outcome, POLL_ACTIVITY, STARTING_PHASE } from '../workflows/api.js';
import type { EnablementProgress, PhaseRecord, PollHeartbeat } from '../workflows/api.js';

const PhaseRecordShape = z.object({ phase: z.string(), at: z.string() });

/** What `pollTask` and `activate` heartbeat; unknown extra fields are dropped, anything else missing or mistyped is rejected. */
export const PollHeartbeatShape = z.object({
  phase: z.string().nullable(),
  phases: z.array(PhaseRecordShape),
  polls: z.int().min(0),
  lastError: z.object({ type: z.string(), message: z.string(), at: z.string() }).exactOptional(),
  task: z.object({ taskId: z.int().min(0), startedAt: z.string() }).exactOptional(),
}) satisfies z.ZodType<PollHeartbeat>;

/** The activities that heartbeat a {@link PollHeartbeat}: v2's poll, v5's one activity. */
const FOLLOWING_ACTIVITIES = new Set([POLL_ACTIVITY, ACTIVATE_ACTIVITY]);

/** The fields of a pending activity (`describe().raw.pendingActivities[]`) this module reads. */
export interface PendingActivityLike {
  activityId?: string | null;
  activityType?: { name?: string | null } | null;
  heartbeatDetails?: { payloads?: Payload[] | null } | null;
  /** 1 for the first attempt; the server's count of the attempt running or waiting to run */
  attempt?: number | null;
}

/** A pending poll's heartbeat and the attempt that sent it (the workflow counts retries only when the poll ends). */
export type LivePoll = PollHeartbeat & { attempt: number };

/**
 * The heartbeat of the pending {@link POLL_ACTIVITY} or {@link ACTIVATE_ACTIVITY} activity, decoded the way the worker encoded it (payload codecs,
 * last one first, then the payload converter; activity serialization context) and checked against
 * {@link PollHeartbeatShape}. Undefined when no such activity is pending, it has not heartbeated yet, its details do
 * not decode (e.g. encrypted with a key this client lacks) or do not have the expected shape: never throws.
 */
export async function decodePollHeartbeat(
  converter: LoadedDataConverter,
  owner: { namespace: string; workflowId: string },
  pendingActivities: readonly PendingActivityLike[] | null | undefined
): Promise<LivePoll | undefined> {
  const poll = pendingActivities?.find(
    (activity) =>
      FOLLOWING_ACTIVITIES.has(activity.activityType?.name ?? '') &&
      (activity.heartbeatDetails?.payloads?.length ?? 0) > 0
  );
  const payloads = poll?.heartbeatDetails?.payloads;
  if (!poll || !payloads) return undefined;
  const context: ActivitySerializationContext = {
    type: 'activity',
    namespace: owner.namespace,
    workflowId: owner.workflowId,
    isLocal: false,
    ...(poll.activityId ? { activityId: poll.activityId } : {}),
  };
  try {
    let decoded: Payload[] = payloads;
    for (const codec of [...converter.payloadCodecs].reverse()) decoded = await codec.decode(decoded, context);
    const parsed = PollHeartbeatShape.safeParse(fromPayloadsAtIndex(converter.payloadConverter, 0, decoded, context));
    return parsed.success ? { ...parsed.data, attempt: Math.max(1, poll.attempt ?? 1) } : undefined;
  } catch {
    return undefined;
  }
}

/** The workflow's own steps, as opposed to `activating` and the KDF phases of a running task. */
const WORKFLOW_STEPS = new Set<string>([STARTING_PHASE, 'cancelling', ...Object.values(Outcome)]);

const recordKey = (record: PhaseRecord): string => `${record.at}\u0000${record.phase}`;

type LastError = NonNullable<EnablementProgress['lastError']>;

/** The more recent of two errors by `at`; the first one on a tie or when the second's time does not parse. */
function laterError(first: LastError | undefined, second: LastError | undefined): LastError | undefined {
  if (!first || !second) return first ?? second;
  const firstAt = Date.parse(first.at);
  const secondAt = Date.parse(second.at);
  return secondAt > firstAt || (Number.isNaN(firstAt) && !Number.isNaN(secondAt)) ? second : first;
}

/**
 * The workflow's progress merged with the poll's heartbeat (pure; the inputs are not changed):
 * - `phases`: the workflow's, then the heartbeat's records (same phase and time) that it does not list yet;
 * - `pollCount`: plus the heartbeat's polls, `retries` plus the poll's retries (the workflow adds both only when
 *   the poll ends);
 * - `lastError`: the later of the two;
 * - `phase`: the heartbeat's while the task runs, i.e. when the workflow says `activating`, or names a KDF phase
 *   the heartbeat has moved on from. The workflow's own steps (`starting`, `cancelling`, an outcome) stay, except
 *   that `starting` becomes `activating` once the heartbeat names a task;
 * - `taskId`: the heartbeat's task while the task runs (v5: the workflow learns it only when `activate` returns).
 *
 * A heartbeat whose newest phase the workflow already lists is from a poll that has since ended and reported (read
 * just before the query): it is ignored. So is any heartbeat once the workflow has an outcome.
 */
export function mergePollHeartbeat(
  progress: EnablementProgress,
  heartbeat: (PollHeartbeat & { attempt?: number }) | undefined
): EnablementProgress {
  if (!heartbeat || progress.outcome !== undefined) return progress;
  const listed = new Set(progress.phases.map(recordKey));
  const newest = heartbeat.phases.at(-1);
  if (newest && listed.has(recordKey(newest))) return progress;
  const added = heartbeat.phases.filter((record) => !listed.has(recordKey(record)));
  const merged: EnablementProgress = {
    ...progress,
    phases: [...progress.phases, ...added],
    pollCount: progress.pollCount + heartbeat.polls,
    retries: progress.retries + (heartbeat.attempt ?? 1) - 1,
  };
  // v5: the workflow learns its task when the activity returns; until then the heartbeat names it
  const learning =
    heartbeat.task !== undefined && (progress.phase === STARTING_PHASE || !WORKFLOW_STEPS.has(progress.phase));
  if (learning && heartbeat.task) {
    merged.taskId = heartbeat.task.taskId;
    if (progress.phase === STARTING_PHASE) merged.phase = ACTIVATING_PHASE;
  }
  const taskRuns = merged.phase === ACTIVATING_PHASE || (added.length > 0 && !WORKFLOW_STEPS.has(progress.phase));
  if (heartbeat.phase !== null && taskRuns) merged.phase = heartbeat.phase;
  const lastError = laterError(progress.lastError, heartbeat.lastError);
  if (lastError) merged.lastError = lastError;
  return merged;
}
