/**
 * What a chaos run knows about each simulated KDF process: its tasks and counters when it ended (a restart by the
 * harness, a `restart-after-reply` fault, or the end of the run), the restart times, and every task that ended Ok,
 * attributed to the process it ran in.
 *
 * The harness snapshots a node just before it restarts it, so those processes are exact. A `restart-after-reply`
 * fault restarts the node inside the request that triggered it; the process it ends is known from the last
 * periodic snapshot (at most {@link OBSERVE_INTERVAL_MS} old) and from the Ok events below, which are exact:
 * the simulator tells of each status change as it is applied (`onTaskStatus`), the coin's address in an Ok names
 * the ticker, and a read right after the change (a microtask, so nothing else runs between) tells whether the
 * task's process is still the current one. A restart in between (the one thing that can run synchronously after
 * a reply) leaves the new, empty process, so the Ok belongs to the one before.
 *
 * @module
 */
import type { RunningSimulator, SimulatorStats, TaskStatus, TaskSummary } from '../simulator/index.js';

/** How often every node's stats are read during the run (restart detection, hanging tasks first seen). */
export const OBSERVE_INTERVAL_MS = 250;

export interface ProcessRecord {
  /** Restarts of the node before this process started (0: the first process). */
  generation: number;
  /** `Date.now()` when it ended; undefined for the process still running at the end. */
  endedAt: number | undefined;
  end: 'harness-restart' | 'fault-restart' | 'final';
  /** Its tasks when it ended; for a fault restart, as last seen (up to {@link OBSERVE_INTERVAL_MS} before). */
  tasks: TaskSummary[];
  tasksStartedByTicker: Record<string, number>;
  initCallsByTicker: Record<string, number>;
  okTasksByTicker: Record<string, number>;
}

/** A task that ended Ok. */
export interface OkEvent {
  ticker: string;
  taskId: number;
  /** The process it ran in (see {@link ProcessRecord.generation}). */
  generation: number;
  at: number;
}

const EMPTY = { tasks: [], tasksStartedByTicker: {}, initCallsByTicker: {}, okTasksByTicker: {} };

function recordOf(stats: SimulatorStats | undefined) {
  if (stats === undefined) return EMPTY;
  const { tasks, tasksStartedByTicker, initCallsByTicker, okTasksByTicker } = stats;
  return { tasks, tasksStartedByTicker, initCallsByTicker, okTasksByTicker };
}

export class NodeObserver {
  readonly processes: ProcessRecord[] = [];
  readonly okEvents: OkEvent[] = [];
  #simulator: RunningSimulator | undefined;
  #last: SimulatorStats | undefined;
  /** Restarts accounted for in `processes`. */
  #generation = 0;

  /** @param tickerByAddress lightning coin address (node id) → ticker, as the node's scenario sets them */
  constructor(
    readonly id: string,
    private readonly tickerByAddress: ReadonlyMap<string, string>
  ) {}

  get simulator(): RunningSimulator {
    if (this.#simulator === undefined) throw new Error(`node ${this.id}: no simulator attached`);
    return this.#simulator;
  }

  attach(simulator: RunningSimulator): void {
    this.#simulator = simulator;
  }

  /** For `startSimulator({ onTaskStatus })`. */
  readonly onTaskStatus = (taskId: number, status: TaskStatus): void => {
    if (status.status !== 'Ok') return;
    const at = Date.now();
    const byAddress = this.tickerByAddress.get(status.details.address);
    queueMicrotask(() => {
      const stats = this.observe();
      const here = stats.tasks.find((task) => task.id === taskId && task.state === 'Ok');
      const ticker = byAddress ?? here?.ticker ?? '?';
      const current = here !== undefined && here.ticker === ticker;
      this.okEvents.push({ ticker, taskId, generation: current ? stats.restarts : stats.restarts - 1, at });
    });
  };

  /** Reads the node's stats; a restart the harness did not make closes the process as last seen. */
  observe(): SimulatorStats {
    const stats = this.simulator.stats();
    while (this.#generation < stats.restarts) {
      this.processes.push({
        generation: this.#generation,
        endedAt: Date.now(),
        end: 'fault-restart',
        ...recordOf(this.#last),
      });
      this.#generation++;
      this.#last = undefined;
    }
    this.#last = stats;
    return stats;
  }

  /** Restarts the simulated KDF process, keeping an exact record of the one it ends. */
  restart(): SimulatorStats {
    const stats = this.observe();
    this.processes.push({
      generation: this.#generation,
      endedAt: Date.now(),
      end: 'harness-restart',
      ...recordOf(stats),
    });
    this.simulator.restart();
    this.#generation++;
    this.#last = undefined;
    return stats;
  }

  /** The record of the process running now (call once, at the end). */
  finish(): SimulatorStats {
    const stats = this.observe();
    this.processes.push({ generation: this.#generation, endedAt: undefined, end: 'final', ...recordOf(stats) });
    return stats;
  }

  /** `Date.now()` of every restart so far. */
  restartTimes(): number[] {
    return this.processes.flatMap((process) => (process.endedAt === undefined ? [] : [process.endedAt]));
  }

  /**
   * Tasks of `ticker` that ended Ok, per process (index = generation): the larger of the Ok events and the
   * process's own counter (exact for harness restarts and the final process).
   */
  okTasksPerProcess(ticker: string): number[] {
    return this.processes.map((process) => {
      const events = this.okEvents.filter(
        (event) => event.ticker === ticker && event.generation === process.generation
      ).length;
      return Math.max(events, process.okTasksByTicker[ticker] ?? 0);
    });
  }

  /** When the last task of `ticker` ended Ok, if one did. */
  lastOkAt(ticker: string): number | undefined {
    const times = this.okEvents.filter((event) => event.ticker === ticker).map((event) => event.at);
    return times.length === 0 ? undefined : Math.max(...times);
  }

  sum(ticker: string, field: 'tasksStartedByTicker' | 'initCallsByTicker'): number {
    return this.processes.reduce((total, process) => total + (process[field][ticker] ?? 0), 0);
  }
}
