/**
 * One simulated KDF node of the benchmark, and the instant each of its tasks turned Ok: the reference point of the
 * detection latency. The simulator reports a status change when it applies it, before any status read or pushed
 * event can show it, whoever listens (with push on, a task's events go only to the worker's `client_id`).
 *
 * @module
 */
import { startSimulator, type Scenario } from '../simulator/index.js';

export interface ObservedSimulatorOptions {
  userpass: string;
  scenario: Scenario;
  phaseMs: number;
}

export interface ObservedSimulator {
  /** `http://127.0.0.1:PORT/` */
  readonly url: string;
  /** Wall-clock ms (`Date.now()`) at which task `taskId` turned Ok, if it did. */
  okAt(taskId: number): number | undefined;
  /** RPC calls per method that reached the node. */
  calls(): Record<string, number>;
  stop(): Promise<void>;
}

export async function startObservedSimulator(options: ObservedSimulatorOptions): Promise<ObservedSimulator> {
  const okTimes = new Map<number, number>();
  const simulator = await startSimulator({
    ...options,
    onTaskStatus: (taskId, status) => {
      if (status.status === 'Ok') okTimes.set(taskId, Date.now());
    },
  });
  return {
    url: simulator.url,
    okAt: (taskId) => okTimes.get(taskId),
    calls: () => simulator.stats().calls,
    stop: () => simulator.stop(),
  };
}
