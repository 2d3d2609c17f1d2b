// The fleet workflow (design.md G6). Over 400 lines because its run loop is one closure over the run's state (node
// queues, running members, counts, carried cancel) and reads best whole; what does not need that state lives in
// fleet-members.ts (pairs, member input), fleet-outcomes.ts (counting) and fleet-dry-run.ts.
import {
  CancellationScope,
  CancelledFailure,
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
  upsertSearchAttributes,
  workflowInfo,
  WorkflowIdReusePolicy,
  type ChildWorkflowOptions,
  type WithWorkflowArgs,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { FleetActivities, PreflightActivities } from '../activities/index.js';
import {
  cancelRequestOf,
  cancelSignal,
  emptyFleetCounts,
  enablementWorkflowId,
  fleetCancelSignal,
  fleetProgressQuery,
  KdfFleetAttribute,
  KdfNodeAttribute,
  KdfPhaseAttribute,
  KdfTickerAttribute,
  MAX_PENDING_STARTS,
  REPORT_MEMO_KEY,
  STARTING_PHASE,
  type CarriedMember,
  type EnablementReport,
  type FleetCarried,
  type FleetInput,
  type FleetMember,
  type FleetProgress,
} from './api.js';
import { enableLightning } from './enable-lightning.js';
import { invalidFleetInput, memberInput, memberOf, nodePairs, type NodePairs } from './fleet-members.js';
import { recordAlreadyEnabled, recordOutcome } from './fleet-outcomes.js';

const DEFAULT_CONCURRENCY = 50;
const DEFAULT_PER_NODE_CONCURRENCY = 2;
/**
 * By default a run continues as new after this many starts (~4 events each; members it follows count too), handing its running
 * members to the next run instead of waiting for them.
 */
const DEFAULT_STARTS_PER_RUN = 1_000;
/** Patch: the run's budget counts its starts, not the members it follows. */
const BUDGET_COUNTS_STARTS_ONLY = 'fleet-budget-counts-starts-only';
/** Patch: a wait for the start rate ends when the fleet is cancelled. */
const RATE_WAIT_WAKES_ON_CANCEL = 'fleet-rate-wait-wakes-on-cancel';
/** Node preflights in flight at once. */
const MAX_PENDING_PREFLIGHTS = 10;

const { awaitEnablement } = proxyActivities<FleetActivities>({
  startToCloseTimeout: '1 day',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});
/** Bounded: a node it cannot read is left to its members' own preflight (only Temporal errors are retried here). */
const { preflightNode } = proxyActivities<PreflightActivities>({
  scheduleToCloseTimeout: '2 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '10 seconds', maximumAttempts: 3 },
});

interface Running {
  member: CarriedMember;
  /** Started by another fleet run or the CLI: followed through an activity, cancelled by id. */
  attached: boolean;
  /** Its start is issued and not yet answered: not yet known to be a child or attached, so not yet cancellable by id. */
  starting: boolean;
  /** The fleet's cancel has been passed on to it. */
  cancelRequested: boolean;
  /** The server accepted that cancel (a Temporal cancel of the fleet in between can void it: then it is sent again). */
  cancelDelivered?: boolean;
  /**
   * The fleet was cancelled (Temporal) while its start was in flight. The scope's cancel of such a child can reach the
   * server before the child exists and fail, so it is cancelled again by id once its start is answered.
   */
  cancelWhenAnswered: boolean;
}

/** A node's tickers in this run: `next` is the first one not yet reached. */
interface NodeQueue {
  pairs: NodePairs;
  next: number;
  /** What the node's preflight found enabled (empty when it could not be read: every pair then starts). */
  enabled: ReadonlySet<string> | 'pending' | undefined;
  /**
   * Tickers whose coin the node dropped after their enablement completed: found by the node's first preflight
   * (which reads the pairs' last enablements), carried from run to run.
   */
  drifted: ReadonlySet<string> | undefined;
}

/**
 * Makes every (node, ticker) pair of a manifest enabled now (design.md G6): a preflight per node skips the pairs
 * enabled already; the others start as child enablements (a completed pair runs again; a running one is joined),
 * bounded per fleet and per node. Continues as new every `startsPerRun` starts with what is left to do.
 */
export async function enableFleet(input: FleetInput): Promise<FleetProgress> {
  const concurrency = positiveInteger(input.concurrency ?? DEFAULT_CONCURRENCY, 'concurrency');
  const perNode = positiveInteger(input.perNodeConcurrency ?? DEFAULT_PER_NODE_CONCURRENCY, 'perNodeConcurrency');
  const rate =
    input.startsPerSecond === undefined ? undefined : positiveNumber(input.startsPerSecond, 'startsPerSecond');
  const startsPerRun = positiveInteger(input.startsPerRun ?? DEFAULT_STARTS_PER_RUN, 'startsPerRun');
  const nodes = nodePairs(input);
  const carried: FleetCarried = input.carried ?? {
    total: nodes.reduce((sum, { tickers }) => sum + tickers.length, 0),
    reached: 0,
    next: {},
    running: [],
    counts: emptyFleetCounts(),
    failures: [],
    runs: 0,
  };
  carried.runs += 1;
  const reachedBefore = carried.reached;
  const queues: NodeQueue[] = nodes.map((pairs) => ({
    pairs,
    next: carried.next[pairs.settings.node] ?? 0,
    enabled: undefined,
    drifted: carried.drifted?.[pairs.settings.node] ? new Set(carried.drifted[pairs.settings.node]) : undefined,
  }));
  const running = new Map<string, Running>();
  const runningPerNode = new Map<string, number>();
  let startedThisRun = 0;
  let followedThisRun = 0;
  let done = false;

  const progress = (): FleetProgress => ({
    fleetId: input.fleetId,
    total: carried.total,
    started: carried.reached,
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
      `Fleet **${input.fleetId}**: ${carried.reached}/${carried.total} reached, ${running.size} running · ` +
        `enabled ${counts.enabled} (already ${counts.alreadyEnabled}, now ${counts.enabledNow}, ` +
        `re-enabled ${counts.reEnabled} of ${counts.drifted} drifted) · failed ${counts.failed} · ` +
        `timed out ${counts.timed_out} · cancelled ${counts.cancelled}`
    );
  };
  setHandler(fleetProgressQuery, () => progress(), { description: 'Counts by outcome, failures, running members' });
  setHandler(fleetCancelSignal, (reason, requestedBy) => {
    carried.cancel ??= cancelRequestOf(reason, requestedBy, new Date().toISOString());
  });
  upsertSearchAttributes([{ key: KdfFleetAttribute, value: input.fleetId }]);

  /** Starts answered, preflights read and members settled: what the start loop waits for. */
  let changes = 0;
  let pendingStarts = 0;
  let pendingPreflights = 0;
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

  /** Counts a member as running (from the moment its start is issued, so that the bounds hold). */
  const reserve = (member: CarriedMember, attached: boolean, starting: boolean): Running => {
    const entry: Running = { member, attached, starting, cancelRequested: false, cancelWhenAnswered: false };
    running.set(enablementWorkflowId(member.node, member.ticker), entry);
    runningPerNode.set(member.node, (runningPerNode.get(member.node) ?? 0) + 1);
    if (starting) {
      startedThisRun += 1;
      pendingStarts += 1;
    } else followedThisRun += 1;
    return entry;
  };

  const follow = (entry: Running, result: Promise<EnablementReport>) => {
    result.then(
      (report) => settle(entry, report),
      (error: unknown) => settle(entry, undefined, error)
    );
  };

  const followAttached = (member: CarriedMember) => {
    const workflowId = enablementWorkflowId(member.node, member.ticker);
    const entry = reserve(member, true, false);
    follow(entry, awaitEnablement({ workflowId, ...(member.runId !== undefined && { runId: member.runId }) }));
  };

  /**
   * Issues a member's start without awaiting it: a child, or, when an enablement of the pair is running, that
   * enablement followed through an activity. A start that fails otherwise settles the member as failed.
   */
  const launch = (fleetMember: FleetMember, drifted: boolean) => {
    const member: CarriedMember = { node: fleetMember.node, ticker: fleetMember.ticker, ...(drifted && { drifted }) };
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
      startChild(enableLightning, childOptions(input, fleetMember)).then(
        (child) => {
          answered(false);
          member.runId = child.firstExecutionRunId;
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

  /**
   * One `get_enabled_coins` for the tickers the node has left; the first time, also their last enablements (a
   * continued run re-reads the node, which may have restarted meanwhile, but not the enablements).
   */
  const preflight = (queue: NodeQueue) => {
    queue.enabled = 'pending';
    pendingPreflights += 1;
    const { settings, tickers } = queue.pairs;
    const left = tickers.slice(queue.next).map(({ ticker }) => ticker);
    const history = queue.drifted === undefined;
    // a node it could not read: every pair left starts, and the next run asks again
    const read = (enabled: string[], drifted?: string[]) => {
      queue.enabled = new Set(enabled);
      if (drifted) queue.drifted ??= new Set(drifted);
      pendingPreflights -= 1;
      changes += 1;
    };
    preflightNode({ node: settings.node, tickers: left, platformCoins: [], history }).then(
      (found) => (found.reachable ? read(found.enabled, history ? found.drifted : undefined) : read([])),
      () => read([])
    );
  };

  /** The next node with a pair to start and room for it; pairs found enabled on the way are counted and passed. */
  const nextStart = (): NodeQueue | undefined => {
    for (const queue of queues) {
      const { settings, tickers } = queue.pairs;
      if (queue.next >= tickers.length) continue;
      if (queue.enabled === undefined) {
        if (pendingPreflights < MAX_PENDING_PREFLIGHTS) preflight(queue);
        continue;
      }
      if (queue.enabled === 'pending') continue;
      while (queue.next < tickers.length && queue.enabled.has(tickers[queue.next]!.ticker)) {
        queue.next += 1;
        carried.reached += 1;
        recordAlreadyEnabled(carried);
      }
      if (queue.next < tickers.length && (runningPerNode.get(settings.node) ?? 0) < perNode) return queue;
    }
    return undefined;
  };

  // Members this run only follows (carried ones) do not spend the budget: with as many carried as the budget, a run
  // would start one pair and continue again. Runs recorded before counted them (replayed fleet histories).
  const budgetSpent = () =>
    startedThisRun + (patched(BUDGET_COUNTS_STARTS_ONLY) ? 0 : followedThisRun) >= startsPerRun ||
    workflowInfo().continueAsNewSuggested;

  /**
   * Starts as many members as the bounds allow in each workflow task, then waits for a start, a preflight or a
   * member to end. Resolves `continue` once the run's budget is spent (nothing in flight but running members).
   */
  const startMembers = async (): Promise<'done' | 'continue'> => {
    // At most `rate` starts per second, in windows of a second (longer below one start a second).
    const windowMs = rate === undefined ? 0 : Math.max(1_000, 1_000 / rate);
    let windowStartedAt = Date.now();
    let startsInWindow = 0;
    for (;;) {
      let rateLimitedFor = 0;
      while (carried.cancel === undefined && (!budgetSpent() || carried.reached === reachedBefore)) {
        if (running.size >= concurrency || pendingStarts >= MAX_PENDING_STARTS) break;
        const queue = nextStart();
        if (!queue) break;
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
        const ticker = queue.pairs.tickers[queue.next]!.ticker;
        const drifted = queue.drifted?.has(ticker) === true;
        if (drifted) carried.counts.drifted += 1;
        launch(memberOf(queue.pairs, queue.next), drifted);
        queue.next += 1;
        carried.reached += 1;
      }
      publish();
      const idle = pendingStarts === 0 && pendingPreflights === 0;
      // a run that only followed earlier members (a concurrency above the budget) goes on starting instead
      const progressed = carried.reached > reachedBefore && carried.reached < carried.total;
      if (carried.cancel === undefined && budgetSpent() && idle && progressed) return 'continue';
      if (running.size === 0 && idle && rateLimitedFor === 0) return 'done';
      const seen = changes;
      const cancelSeen = carried.cancel !== undefined;
      if (cancelSeen) await cancelRunning(running, carried, notYetCancelled);
      if (rateLimitedFor > 0) {
        // a cancel is passed on at once, not after the rate's window (runs recorded before slept it out)
        if (patched(RATE_WAIT_WAKES_ON_CANCEL)) {
          await condition(() => !cancelSeen && carried.cancel !== undefined, rateLimitedFor);
        } else await sleep(rateLimitedFor);
      } else await condition(() => changes !== seen || (!cancelSeen && carried.cancel !== undefined));
    }
  };

  publish();
  const members = new CancellationScope();
  let end: 'done' | 'continue';
  try {
    end = await members.run(async () => {
      for (const member of carried.running) followAttached(member);
      return startMembers();
    });
  } catch (error) {
    if (!isCancellation(error)) throw error;
    // Temporal cancellation: children are cancelled through the scope, attached members by id, and members whose
    // start is still in flight by id once it is answered.
    for (const entry of running.values()) if (entry.starting) entry.cancelWhenAnswered = true;
    await CancellationScope.nonCancellable(async () => {
      await cancelRunning(
        running,
        carried,
        (entry) => entry.attached && (notYetCancelled(entry) || entry.cancelDelivered !== true)
      );
      await condition(() => running.size === 0);
      await Promise.all(lateCancels);
    });
    done = true;
    upsertMemo({ [REPORT_MEMO_KEY]: progress() });
    throw new CancelledFailure(`fleet ${input.fleetId} cancelled`);
  }

  if (end === 'continue') await continueAsNew<typeof enableFleet>(whatIsLeft(input, queues, running, carried));
  done = true;
  publish();
  return progress();
}

/**
 * The next run's input: the nodes with pairs left (a node's own ticker list cut to what is left, a shared one by a
 * cursor) and the members still running, followed by the next run; not the whole manifest.
 */
function whatIsLeft(
  input: FleetInput,
  queues: NodeQueue[],
  running: Map<string, Running>,
  carried: FleetCarried
): FleetInput {
  const left = queues.filter(({ next, pairs }) => next < pairs.tickers.length);
  const next: Record<string, number> = {};
  const drifted: Record<string, string[]> = {};
  const nodes = left.map(({ pairs: { settings, tickers }, next: reached, drifted: found }) => {
    if (found)
      drifted[settings.node] = tickers.slice(reached).flatMap(({ ticker }) => (found.has(ticker) ? [ticker] : []));
    if (settings.tickers) return { ...settings, tickers: tickers.slice(reached) };
    next[settings.node] = reached;
    return settings;
  });
  const { carried: _previous, ...rest } = input;
  return {
    ...rest,
    nodes,
    carried: { ...carried, next, drifted, running: [...running.values()].map(({ member }) => member) },
  };
}

/** A member's enablement as a child of the fleet: it runs again when it completed before (the coin may be gone). */
function childOptions(
  input: FleetInput,
  member: FleetMember
): WithWorkflowArgs<typeof enableLightning, Omit<ChildWorkflowOptions, 'typeInfo'>> {
  return {
    workflowId: enablementWorkflowId(member.node, member.ticker),
    args: [memberInput(input, member)],
    // kept running when the fleet continues as new (the next run follows it); a cancelled fleet cancels it itself
    parentClosePolicy: ParentClosePolicy.ABANDON,
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    typedSearchAttributes: [
      { key: KdfNodeAttribute, value: member.node },
      { key: KdfTickerAttribute, value: member.ticker },
      { key: KdfFleetAttribute, value: input.fleetId },
      { key: KdfPhaseAttribute, value: STARTING_PHASE },
    ],
    staticSummary: `Enable ${member.ticker} on ${member.node} (fleet ${input.fleetId})`,
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
        // the signal records why; the cancellation stops the member
        await handle.signal(cancelSignal, reason, by).catch(() => undefined);
        await handle.cancel().then(
          () => (entry.cancelDelivered = true),
          () => undefined
        );
      })
  );
}

/** Members whose start is answered and that have not had the fleet's cancel yet. */
const notYetCancelled = (entry: Running): boolean => !entry.starting && !entry.cancelRequested;

function positiveInteger(value: number, field: string): number {
  if (!Number.isInteger(value) || value < 1) throw invalidFleetInput(`${field} must be a positive integer`);
  return value;
}

function positiveNumber(value: number, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw invalidFleetInput(`${field} must be a positive number`);
  }
  return value;
}
