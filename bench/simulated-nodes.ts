/**
 * One in-process KDF simulator per node of a workload, each timestamping the instant its tasks turn Ok. Every
 * side of every run gets fresh nodes, so call counters start at zero.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import type { KdfNodeConfig } from '../activities/index.js';
import { startObservedSimulator, type ObservedSimulator } from './observed-simulator.js';
import { benchScenario } from './scenario.js';
import type { Workload } from './workload.js';

export interface SimulatedNodesOptions {
  /** KDF's event stream (`GET /event-stream`) served: for the push side. */
  eventStreaming: boolean;
}

export interface SimulatedNodes {
  readonly userpass: string;
  readonly configs: KdfNodeConfig[];
  /** When the simulator of `node` turned task `taskId` Ok (wall-clock ms). */
  okAt(node: string, taskId: number): number | undefined;
  /** RPC calls per method, summed over the nodes. */
  calls(): Record<string, number>;
  stop(): Promise<void>;
}

export async function startSimulatedNodes(workload: Workload, options: SimulatedNodesOptions): Promise<SimulatedNodes> {
  const userpass = `bench-${randomBytes(12).toString('hex')}`;
  const scenario = benchScenario(workload.tickersPerNode, options.eventStreaming);
  const simulators = new Map<string, ObservedSimulator>();
  const stop = async () => {
    await Promise.all([...simulators.values()].map((simulator) => simulator.stop()));
  };
  try {
    for (const id of workload.nodeIds) {
      simulators.set(id, await startObservedSimulator({ userpass, scenario, phaseMs: workload.phaseMs }));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    userpass,
    configs: [...simulators].map(([id, simulator]) => ({ id, url: simulator.url, userpass })),
    okAt: (node, taskId) => simulators.get(node)?.okAt(taskId),
    calls: () => {
      const total: Record<string, number> = {};
      for (const simulator of simulators.values()) {
        for (const [method, count] of Object.entries(simulator.calls())) {
          total[method] = (total[method] ?? 0) + count;
        }
      }
      return total;
    },
    stop,
  };
}
