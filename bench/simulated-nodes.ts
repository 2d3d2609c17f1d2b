/**
 * One in-process KDF simulator per node of a workload, each watched by an OkClock. Every measured run gets fresh
 * nodes, so call counters start at zero.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import type { KdfNodeConfig } from '../activities/index.js';
import { startSimulator, type RunningSimulator } from '../simulator/index.js';
import { watchOkTimes, type OkClock } from './ok-clock.js';
import { benchScenario } from './scenario.js';
import type { Workload } from './workload.js';

export interface SimulatedNodes {
  readonly userpass: string;
  readonly configs: KdfNodeConfig[];
  /** When the simulator of `node` turned task `taskId` Ok (wall-clock ms). */
  okAt(node: string, taskId: number): number | undefined;
  /** RPC calls per method, summed over the nodes. */
  calls(): Record<string, number>;
  stop(): Promise<void>;
}

export async function startSimulatedNodes(workload: Workload): Promise<SimulatedNodes> {
  const userpass = `bench-${randomBytes(12).toString('hex')}`;
  const scenario = benchScenario(workload.tickersPerNode);
  const simulators = new Map<string, RunningSimulator>();
  const clocks = new Map<string, OkClock>();
  const stop = async () => {
    for (const clock of clocks.values()) clock.close();
    await Promise.all([...simulators.values()].map((simulator) => simulator.stop()));
  };
  try {
    for (const id of workload.nodeIds) {
      const simulator = await startSimulator({ userpass, scenario, phaseMs: workload.phaseMs });
      simulators.set(id, simulator);
      clocks.set(id, await watchOkTimes(simulator.url));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    userpass,
    configs: [...simulators].map(([id, simulator]) => ({ id, url: simulator.url, userpass })),
    okAt: (node, taskId) => clocks.get(node)?.okAt(taskId),
    calls: () => {
      const total: Record<string, number> = {};
      for (const simulator of simulators.values()) {
        for (const [method, count] of Object.entries(simulator.stats().calls)) {
          total[method] = (total[method] ?? 0) + count;
        }
      }
      return total;
    },
    stop,
  };
}
