/**
 * The disruption schedule of a chaos run: worker kills, dev-server restarts, simulator restarts and fault bursts,
 * in evenly spread slots with jitter and shuffled kinds (seeded, so a schedule can be replayed); and the cancel
 * outages, timed around the deadlines of the hanging members that have one.
 *
 * @module
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { BURST_MS, CANCEL_OUTAGE_LEAD_MS, CANCEL_OUTAGE_MS, injectBurst, injectCancelOutage } from './faults.js';
import type { ChaosNode, ChaosOptions } from './harness.js';
import { OBSERVE_INTERVAL_MS } from './observer.js';
import type { Disruption, DisruptionKind } from './report.js';

export interface ScheduleContext {
  options: ChaosOptions;
  random: () => number;
  nodes: readonly ChaosNode[];
  disruptions: Disruption[];
  windowMs: number;
  /** ms since the run started */
  fleetStartedAt: number;
  now: () => number;
  log: (line: string) => void;
  /** Set once the fleet has finished: the disruptions still due are skipped. */
  fleetDone: boolean;
  /** SIGKILLs the worker and starts another; returns the victim's name. */
  killWorker: () => Promise<string>;
  /** Stops the dev server and starts it again on the same port and file; returns its address. */
  restartDevServer: () => Promise<string>;
}

type Scheduled = Exclude<DisruptionKind, 'cancel-outage'>;

export async function runSchedule(context: ScheduleContext): Promise<void> {
  const { options, random, nodes, disruptions, now, log } = context;
  const malformed = options.malformedFaults ?? true;
  /**
   * A node with tasks running, so a disruption there hits enablements; any node when none has. A hanging task does
   * not make its node busy (it would be, all along).
   */
  const activating = (node: ChaosNode): number => {
    const hanging = new Set(node.tickers.filter(({ kind }) => kind === 'hang').map(({ ticker }) => ticker));
    return node.observer.observe().tasks.filter((t) => t.state === 'InProgress' && !hanging.has(t.ticker)).length;
  };
  /**
   * A node whose hanging member has no task yet: a burst there can hold its init past the member's short deadline
   * (failed reads, then growing pauses), and the member, there to reach its deadline with a task running, would
   * test nothing.
   */
  const hangAwaitsTask = (node: ChaosNode): boolean => {
    const { tasks } = node.observer.observe();
    const hanging = node.tickers.filter(({ kind }) => kind === 'hang');
    return hanging.some(({ ticker }) => !tasks.some((task) => task.ticker === ticker));
  };
  const pickBusy = (candidates: readonly ChaosNode[]): ChaosNode => {
    const busy = candidates.filter((candidate) => activating(candidate) > 0);
    const pool = busy.length > 0 ? busy : candidates;
    return pool[Math.floor(random() * pool.length)]!;
  };
  const kinds: Scheduled[] = [
    ...Array<Scheduled>(options.workerKills ?? 3).fill('worker-kill'),
    ...Array<Scheduled>(options.devServerRestarts ?? 1).fill('dev-server-restart'),
    ...Array<Scheduled>(Math.min(options.simulatorRestarts ?? 2, nodes.length)).fill('simulator-restart'),
    ...Array<Scheduled>(options.faultBursts ?? 2).fill('fault-burst'),
  ];
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [kinds[i], kinds[j]] = [kinds[j]!, kinds[i]!];
  }
  const slot = context.windowMs / (kinds.length + 1);
  const schedule = kinds.map((kind, i) => ({
    kind,
    at: context.fleetStartedAt + slot * (i + 0.75 + random() * 0.5),
  }));
  // each node restarts at most once by the schedule
  const restartable = [...nodes];

  for (const event of schedule) {
    const wait = event.at - now();
    if (wait > 0) await sleep(wait);
    if (context.fleetDone) {
      log(`chaos: fleet finished before the ${event.kind} planned at ${Math.round(event.at)} ms`);
      continue;
    }
    const at = now();
    const done = (target: string, downMs: number, detail?: string) =>
      disruptions.push({ kind: event.kind, target, at, downMs, recoveryMs: undefined, ...(detail && { detail }) });
    switch (event.kind) {
      case 'worker-kill': {
        const victim = await context.killWorker();
        done(victim, now() - at);
        break;
      }
      case 'dev-server-restart': {
        const address = await context.restartDevServer();
        done(address, now() - at);
        break;
      }
      case 'simulator-restart': {
        const node = pickBusy(restartable);
        restartable.splice(restartable.indexOf(node), 1);
        const stats = node.observer.restart();
        const running = stats.tasks.filter((task) => task.state === 'InProgress').length;
        done(node.id, 0, `${stats.tasks.length} tasks dropped (${running} running)`);
        break;
      }
      case 'fault-burst': {
        const ready = nodes.filter((candidate) => !hangAwaitsTask(candidate));
        const node = pickBusy(ready.length > 0 ? ready : nodes);
        const running = activating(node);
        const burstKinds = malformed
          ? (['http502', 'http503', 'reset', 'malformed'] as const)
          : (['http502', 'http503', 'reset'] as const);
        const kind = burstKinds[Math.floor(random() * burstKinds.length)]!;
        injectBurst(node.observer.simulator, kind);
        done(node.id, BURST_MS, `${BURST_MS / 1_000} s of ${kind}, each reply 1.5 s late (${running} tasks running)`);
        break;
      }
    }
    log(`chaos: ${event.kind} at ${at} ms (${disruptions[disruptions.length - 1]?.target ?? ''})`);
  }
}

export interface ObserveContext {
  nodes: readonly ChaosNode[];
  hangTimeoutMs: number;
  disruptions: Disruption[];
  /** Where the outages' timers go, for the run to clear them. */
  timers: Set<NodeJS.Timeout>;
  now: () => number;
  log: (line: string) => void;
}

/**
 * Reads every node's stats all along (the observers notice restarts by faults), and starts a node's cancel outage
 * {@link CANCEL_OUTAGE_LEAD_MS} before its hanging member's deadline, counted from when its task was first seen
 * running (the deadline is a little earlier: the workflow started before its task). Returns the interval.
 */
export function observeNodes(context: ObserveContext): NodeJS.Timeout {
  const { nodes, hangTimeoutMs, disruptions, timers, now, log } = context;
  const due = new Set(
    nodes.flatMap((node) => node.tickers.filter((t) => t.cancelOutage).map((t) => `${node.id}/${t.ticker}`))
  );
  const delay = Math.max(0, hangTimeoutMs - CANCEL_OUTAGE_LEAD_MS);
  const outage = (node: ChaosNode, ticker: string) => {
    injectCancelOutage(node.observer.simulator);
    const detail = `503 on every cancel, around ${ticker}'s deadline`;
    disruptions.push({
      kind: 'cancel-outage',
      target: node.id,
      at: now(),
      downMs: CANCEL_OUTAGE_MS,
      recoveryMs: undefined,
      detail,
    });
    log(`chaos: cancel-outage at ${now()} ms (${node.id}, ${ticker})`);
  };
  return setInterval(() => {
    for (const node of nodes) {
      const stats = node.observer.observe();
      for (const { ticker } of node.tickers) {
        const key = `${node.id}/${ticker}`;
        if (!due.has(key) || !stats.tasks.some((t) => t.ticker === ticker && t.state === 'InProgress')) continue;
        due.delete(key);
        log(`chaos: ${ticker} running on ${node.id} at ${now()} ms; its cancel outage starts in ${delay} ms`);
        const timer = setTimeout(() => {
          timers.delete(timer);
          outage(node, ticker);
        }, delay);
        timers.add(timer);
      }
    }
  }, OBSERVE_INTERVAL_MS);
}
