/**
 * What `GET /__sim/stats` and `RunningSimulator.stats()` report.
 *
 * @module
 */
import type { LightningPhase } from './kdf-constants.js';
import type { TaskState } from './tasks.js';

export interface TaskSummary {
  readonly id: number;
  readonly ticker: string;
  readonly state: TaskState;
  /** The current phase, or the one the task ended in. */
  readonly phase: LightningPhase;
}

/**
 * Figures about the simulated KDF process start again when it restarts (`calls`, `initCallsByTicker`,
 * `tasksStartedByTicker`, `okTasksByTicker`, `cancelledTasks`, `activeTasks`, `tasks`); `restarts`,
 * `maxActiveTasks` and `faultsInjected` cover the simulator's whole life. `POST /__sim/stats/reset` zeroes the
 * counters.
 */
export interface SimulatorStats {
  /** Per method, every RPC request that reached the dispatcher (each element of a batch counts). */
  readonly calls: Record<string, number>;
  /** `task::enable_lightning::init` calls whose params parsed, per ticker. */
  readonly initCallsByTicker: Record<string, number>;
  readonly tasksStartedByTicker: Record<string, number>;
  /** Tasks that ended Ok, per ticker. */
  readonly okTasksByTicker: Record<string, number>;
  /** Tasks running now. */
  readonly activeTasks: number;
  /** Most tasks running at the same time. */
  readonly maxActiveTasks: number;
  readonly cancelledTasks: number;
  readonly restarts: number;
  /** Per fault kind, requests a fault was applied to. */
  readonly faultsInjected: Record<string, number>;
  /** Every task of the current process, cancelled and forgotten ones included, oldest first. */
  readonly tasks: TaskSummary[];
}

export class Counter {
  readonly #counts = new Map<string, number>();

  add(key: string): void {
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
  }

  clear(): void {
    this.#counts.clear();
  }

  toRecord(): Record<string, number> {
    return Object.fromEntries(this.#counts);
  }
}

/** Counters that live as long as one simulated KDF process. */
export class ProcessCounters {
  readonly calls = new Counter();
  readonly initCallsByTicker = new Counter();
  readonly tasksStartedByTicker = new Counter();
  readonly okTasksByTicker = new Counter();
  cancelledTasks = 0;

  reset(): void {
    this.calls.clear();
    this.initCallsByTicker.clear();
    this.tasksStartedByTicker.clear();
    this.okTasksByTicker.clear();
    this.cancelledTasks = 0;
  }
}
