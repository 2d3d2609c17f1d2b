import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  ChildWorkflowFailure,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  isCancellation,
  ParentClosePolicy,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  startChild,
  upsertMemo,
  type ChildWorkflowOptions,
  type WithWorkflowArgs,
  upsertSearchAttributes,
  WorkflowIdReusePolicy,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { FleetActivities } from '../activities/index.js';
import {
  cancelSignal,
  enablementWorkflowId,
  FailureType,
  FLEET_FAILURES_KEPT,
  fleetCancelSignal,
  fleetProgressQuery,
  KdfFleetAttribute,
  KdfNodeAttribute,
  KdfPhaseAttribute,
  KdfTickerAttribute,
  Outcome,
  REPORT_MEMO_KEY,
  STARTING_PHASE,
  type EnableLightningInput,
  type EnablementReport,
  type FleetCarried,
  type FleetInput,
  type FleetMember,
  type FleetProgress,
} from './api.js';
import { enableLightning } from './enable-lightning.js';

const DEFAULT_CONCURRENCY = 50;
const DEFAULT_PER_NODE_CONCURRENCY = 2;
/** A run stops starting members after this many and continues as new once they finish (~4 events each). */
const STARTS_PER_RUN = 1_000;
/**
 * Child starts in flight at once (command issued, `ChildWorkflowExecutionStarted` not yet recorded). The fleet issues
 * starts without awaiting each one, so that a workflow task issues as many as the bounds allow; this caps the commands
 * of one task and the start work queued in the server.
 */
const MAX_PENDING_STARTS = 50;
/**
 * Runs begun before it started members one workflow task at a time; they replay that way (startOneAtATime). Once no
 * such run is left, `deprecatePatch` it and drop that loop, then drop the call.
 */
const CONCURRENT_STARTS_PATCH = 'fleet-concurrent-starts';
/** Members are cancelled through Temporal cancellation, after the signal that records why (the signal stops nothing now). */
const CANCEL_MEMBERS_BY_CANCELLATION = 'fleet-cancel-members-by-cancellation';
const KDF_NAME_MAX_BYTES = 32;

const { awaitEnablement } = proxyActivities<FleetActivities>({
  startToCloseTimeout: '1 day',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

interface Running {
  member: FleetMember;
  /** Started by another fleet run or the CLI: followed through an activity, cancelled by id. */
  attached: boolean;
  /** Its start is issued and not yet answered: not yet known to be a child or attached, so not yet cancellable by id. */
  starting: boolean;
  /** The fleet's cancel has been passed on to it. */
  cancelRequested: boolean;
  /**
   * The fleet was cancelled (Temporal) while its start was in flight. The scope's cancel of such a child can reach the
   * server before the child exists and fail, so it is cancelled again by id once its start is answered.
   */
  cancelWhenAnswered: boolean;
}

/** Enables every (node, ticker) pair of a manifest as child workflows, bounded per fleet and per node. */
export async function enableFleet(input: FleetInput): Promise<FleetProgress> {
  const concurrency = positiveInteger(input.concurrency ?? DEFAULT_CONCURRENCY, 'concurrency');
  const perNode = positiveInteger(input.perNodeConcurrency ?? DEFAULT_PER_NODE_CONCURRENCY, 'perNodeConcurrency');
  const rate =
    input.startsPerSecond === undefined ? undefined : positiveNumber(input.startsPerSecond, 'startsPerSecond');
  const carried: FleetCarried = input.carried ?? {
    startedPerNode: {},
    counts: { enabled: 0, failed: 0, cancelled: 0, timed_out: 0, alreadyEnabled: 0 },
    failures: [],
    runs: 0,
  };
  carried.runs += 1;
  const queues = queuesByNode(input.members);
  const running = new Map<string, Running>();
  const runningPerNode = new Map<string, number>();
  let startedThisRun = 0;
  let done = false;

  const started = () => Object.values(carried.startedPerNode).reduce((sum, n) => sum + n, 0);
  const progress = (): FleetProgress => ({
    fleetId: input.fleetId,
    total: input.members.length,
    started: started(),
    running: running.size,
    counts: carried.counts,
    failures: carried.failures,
    runs: carried.runs,
    ...(carried.cancel && { cancel: carried.cancel }),
    done,
  });
  const publish = () => {
    const { counts } = carried;
    setCurrentDetails(
      `Fleet **${input.fleetId}**: ${started()}/${input.members.length} started, ${running.size} running · ` +
        `enabled ${counts.enabled} (already ${counts.alreadyEnabled}) · failed ${counts.failed} · ` +
        `timed out ${counts.timed_out} · cancelled ${counts.cancelled}`
    );
  };
  setHandler(fleetProgressQuery, () => progress(), { description: 'Counts by outcome, failures, running members' });
  setHandler(fleetCancelSignal, (reason, requestedBy) => {
    carried.cancel ??= { reason: String(reason), requestedBy: String(requestedBy), at: new Date().toISOString() };
  });
  upsertSearchAttributes([{ key: KdfFleetAttribute, value: input.fleetId }]);
  publish();

  const nextMember = (): FleetMember | undefined => {
    for (const [node, queue] of queues) {
      const startedOnNode = carried.startedPerNode[node] ?? 0;
      if (startedOnNode < queue.length && (runningPerNode.get(node) ?? 0) < perNode) return queue[startedOnNode];
    }
    return undefined;
  };

  /** Starts answered and members settled: what the start loop waits for. */
  let changes = 0;
  let pendingStarts = 0;
  /** Cancels by id of members whose start was answered after the fleet's Temporal cancellation. */
  const lateCancels: Promise<void>[] = [];

  const settle = (entry: Running, report: EnablementReport | undefined, failure?: unknown) => {
    const { member } = entry;
    if (entry.starting) {
      entry.starting = false;
      pendingStarts -= 1;
    }
    running.delete(enablementWorkflowId(member.node, member.ticker));
    runningPerNode.set(member.node, (runningPerNode.get(member.node) ?? 1) - 1);
    recordOutcome(carried, member, report, failure);
    changes += 1;
    publish();
  };

  /** Counts a member as started and running (from the moment its start is issued, so that the bounds hold). */
  const reserve = (member: FleetMember, attached: boolean, starting: boolean): Running => {
    const entry: Running = { member, attached, starting, cancelRequested: false, cancelWhenAnswered: false };
    running.set(enablementWorkflowId(member.node, member.ticker), entry);
    runningPerNode.set(member.node, (runningPerNode.get(member.node) ?? 0) + 1);
    carried.startedPerNode[member.node] = (carried.startedPerNode[member.node] ?? 0) + 1;
    startedThisRun += 1;
    if (starting) pendingStarts += 1;
    return entry;
  };

  const follow = (entry: Running, result: Promise<EnablementReport>) => {
    result.then(
      (report) => settle(entry, report),
      (error: unknown) => settle(entry, undefined, error)
    );
  };

  /**
   * Issues a member's start without awaiting it: a child, or, when an enablement already runs (or ran) under its id,
   * that enablement followed through an activity. A start that fails otherwise settles the member as failed.
   */
  const launch = (member: FleetMember) => {
    const workflowId = enablementWorkflowId(member.node, member.ticker);
    const entry = reserve(member, false, true);
    const answered = (attached: boolean) => {
      entry.starting = false;
      entry.attached = attached;
      pendingStarts -= 1;
      changes += 1;
      if (entry.cancelWhenAnswered) {
        entry.cancelRequested = true;
        const handle = getExternalWorkflowHandle(workflowId);
        lateCancels.push(CancellationScope.nonCancellable(() => handle.cancel().catch(() => undefined)));
      }
    };
    follow(
      entry,
      startChild(enableLightning, childOptions(input, member)).then(
        (child) => {
          answered(false);
          return child.result();
        },
        (error: unknown) => {
          if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
          answered(true);
          return awaitEnablement({ workflowId });
        }
      )
    );
  };

  /** Starts as many members as the bounds allow in each workflow task, then waits for a start or a member to end. */
  const startConcurrently = async () => {
    // At most `rate` starts per second, in windows of a second (longer below one start a second).
    const windowMs = rate === undefined ? 0 : Math.max(1_000, 1_000 / rate);
    let windowStartedAt = Date.now();
    let startsInWindow = 0;
    for (;;) {
      let rateLimitedFor = 0;
      while (carried.cancel === undefined && startedThisRun < STARTS_PER_RUN) {
        if (running.size >= concurrency || pendingStarts >= MAX_PENDING_STARTS) break;
        const member = nextMember();
        if (!member) break;
        if (rate !== undefined) {
          const now = Date.now();
          if (now - windowStartedAt >= windowMs) {
            windowStartedAt = now;
            startsInWindow = 0;
          }
          if (startsInWindow >= rate) {
            rateLimitedFor = windowStartedAt + windowMs - now;
            break;
          }
          startsInWindow += 1;
        }
        launch(member);
      }
      if (running.size === 0 && rateLimitedFor === 0) break;
      const seen = changes;
      const cancelSeen = carried.cancel !== undefined;
      if (cancelSeen) await cancelRunning(running, carried, notYetCancelled);
      if (rateLimitedFor > 0) await sleep(rateLimitedFor);
      else await condition(() => changes !== seen || (!cancelSeen && carried.cancel !== undefined));
    }
  };

  /** The loop of runs begun before CONCURRENT_STARTS_PATCH, kept as it was so that their histories replay. */
  const startOneAtATime = async () => {
    let startsThisSecond = 0;
    for (;;) {
      const stopStarting = carried.cancel !== undefined || startedThisRun >= STARTS_PER_RUN;
      const member = stopStarting ? undefined : nextMember();
      if (member && running.size < concurrency) {
        if (input.startsPerSecond !== undefined && startsThisSecond >= input.startsPerSecond) {
          await sleep('1 second');
          startsThisSecond = 0;
        }
        startsThisSecond += 1;
        try {
          const child = await startChild(enableLightning, childOptions(input, member));
          follow(reserve(member, false, false), child.result());
        } catch (error) {
          if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
          const workflowId = enablementWorkflowId(member.node, member.ticker);
          follow(reserve(member, true, false), awaitEnablement({ workflowId }));
        }
        continue;
      }
      if (running.size === 0) break;
      const before = running.size;
      const wasCancelled = carried.cancel !== undefined;
      await condition(() => running.size < before || (!wasCancelled && carried.cancel !== undefined));
      if (!wasCancelled && carried.cancel) await cancelRunning(running, carried, () => true);
    }
  };

  const concurrentStarts = patched(CONCURRENT_STARTS_PATCH);
  const members = new CancellationScope();
  try {
    await members.run(concurrentStarts ? startConcurrently : startOneAtATime);
  } catch (error) {
    if (!isCancellation(error)) throw error;
    // Temporal cancellation: children are cancelled through the scope, attached members by id, and members whose
    // start is still in flight by id once it is answered.
    for (const entry of running.values()) if (entry.starting) entry.cancelWhenAnswered = true;
    await CancellationScope.nonCancellable(async () => {
      const attached = concurrentStarts
        ? (entry: Running) => entry.attached && notYetCancelled(entry)
        : (entry: Running) => entry.attached;
      await cancelRunning(running, carried, attached);
      await condition(() => running.size === 0);
      await Promise.all(lateCancels);
    });
    done = true;
    upsertMemo({ [REPORT_MEMO_KEY]: progress() });
    throw new CancelledFailure(`fleet ${input.fleetId} cancelled`);
  }

  if (carried.cancel === undefined && started() < input.members.length) {
    await continueAsNew<typeof enableFleet>({ ...input, carried });
  }
  done = true;
  publish();
  return progress();
}

/** A member's enablement as a child of the fleet. */
function childOptions(
  input: FleetInput,
  member: FleetMember
): WithWorkflowArgs<typeof enableLightning, Omit<ChildWorkflowOptions, 'typeInfo'>> {
  return {
    workflowId: enablementWorkflowId(member.node, member.ticker),
    args: [memberInput(input, member)],
    parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
    // A pair enabled before (Completed) is not started again; failed or cancelled ones are.
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
    typedSearchAttributes: [
      { key: KdfNodeAttribute, value: member.node },
      { key: KdfTickerAttribute, value: member.ticker },
      { key: KdfFleetAttribute, value: input.fleetId },
      { key: KdfPhaseAttribute, value: STARTING_PHASE },
    ],
    staticSummary: `Enable ${member.ticker} on ${member.node} (fleet ${input.fleetId})`,
  };
}

function memberInput(input: FleetInput, member: FleetMember): EnableLightningInput {
  const { defaults } = input;
  const platformCoin = member.platformCoin ?? defaults.platformCoin;
  const timeoutMs = member.timeoutMs ?? defaults.timeoutMs;
  return {
    node: member.node,
    ticker: member.ticker,
    activationParams: {
      name: truncateUtf8(member.node, KDF_NAME_MAX_BYTES),
      ...defaults.activationParams,
      ...member.activationParams,
    },
    ...(platformCoin !== undefined && { platformCoin }),
    ...(timeoutMs !== undefined && { timeoutMs }),
    ...(defaults.poll && { poll: defaults.poll }),
  };
}

/** Passes the fleet's cancel on to the running members that `which` selects: reason and Temporal cancellation. */
async function cancelRunning(running: Map<string, Running>, carried: FleetCarried, which: (entry: Running) => boolean) {
  const reason = carried.cancel?.reason ?? 'fleet cancelled';
  const by = carried.cancel?.requestedBy ?? 'fleet';
  await Promise.all(
    [...running.entries()]
      .filter(([, entry]) => which(entry))
      .map(async ([workflowId, entry]) => {
        entry.cancelRequested = true;
        const handle = getExternalWorkflowHandle(workflowId);
        // the signal records why; the cancellation stops the member (older enablements stopped on the signal)
        if (!entry.attached) await handle.signal(cancelSignal, reason, by).catch(() => undefined);
        if (entry.attached || patched(CANCEL_MEMBERS_BY_CANCELLATION)) await handle.cancel().catch(() => undefined);
      })
  );
}

/** Members whose start is answered and that have not had the fleet's cancel yet. */
const notYetCancelled = (entry: Running): boolean => !entry.starting && !entry.cancelRequested;

function recordOutcome(
  carried: FleetCarried,
  member: FleetMember,
  report: EnablementReport | undefined,
  failure: unknown
) {
  const { counts } = carried;
  if (report) {
    counts.enabled += 1;
    if (report.alreadyEnabled) counts.alreadyEnabled += 1;
    return;
  }
  const { outcome, type, message } = classifyFailure(failure);
  counts[outcome] += 1;
  carried.failures.push({ node: member.node, ticker: member.ticker, outcome, type, message });
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

function queuesByNode(members: FleetMember[]): Map<string, FleetMember[]> {
  const queues = new Map<string, FleetMember[]>();
  for (const member of members) {
    const queue = queues.get(member.node);
    if (queue) queue.push(member);
    else queues.set(member.node, [member]);
  }
  return queues;
}

function positiveInteger(value: number, field: string): number {
  if (!Number.isInteger(value) || value < 1) throw invalidInput(`${field} must be a positive integer`);
  return value;
}

function positiveNumber(value: number, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw invalidInput(`${field} must be a positive number`);
  }
  return value;
}

function invalidInput(problem: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: FailureType.invalidInput,
    message: `invalid fleet input: ${problem}`,
    nonRetryable: true,
  });
}

function truncateUtf8(text: string, maxBytes: number): string {
  let result = '';
  let bytes = 0;
  for (const char of text) {
    const size = new TextEncoder().encode(char).length;
    if (bytes + size > maxBytes) break;
    result += char;
    bytes += size;
  }
  return result;
}
