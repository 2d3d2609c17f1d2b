/**
 * The two ways the benchmark drives kdf-lightning: the fleet workflow (one `startFleet`, child enablements), or
 * one `startEnablement` per member. Both resolve when every enablement has ended.
 *
 * @module
 */
import type { Client } from '@temporalio/client';
import { startEnablement } from '../client/index.js';
import { startFleet } from '../client/fleet.js';
import { fleetNodesOf, type FleetInput } from '../workflows/api.js';
import type { Workload } from './workload.js';

export type TemporalPath = 'fleet' | 'direct';
export const TEMPORAL_PATHS: readonly TemporalPath[] = ['fleet', 'direct'];

/** Runs the workload; resolves with the fleet's workflow id (fleet path) once every enablement has ended. */
export async function runWorkload(
  client: Client,
  workload: Workload,
  taskQueue: string,
  path: TemporalPath
): Promise<string | undefined> {
  return path === 'fleet' ? runFleet(client, workload, taskQueue) : runDirect(client, workload, taskQueue);
}

/** Concurrency bounds opened to the whole workload, like the baseline's `Promise.all`. */
async function runFleet(client: Client, workload: Workload, taskQueue: string): Promise<string> {
  const input: FleetInput = {
    fleetId: workload.runId,
    defaults: { activationParams: {}, poll: workload.poll },
    nodes: fleetNodesOf(
      workload.members.map(({ node, ticker, listeningPort }) => ({
        node,
        ticker,
        activationParams: { listening_port: listeningPort },
      }))
    ),
    concurrency: workload.enablements,
    perNodeConcurrency: workload.tickersPerNode,
  };
  const fleet = await startFleet(client, input, { taskQueue });
  await fleet.handle.result();
  return fleet.workflowId;
}

async function runDirect(client: Client, workload: Workload, taskQueue: string): Promise<undefined> {
  const started = await Promise.all(
    workload.members.map(({ node, ticker, listeningPort }) =>
      startEnablement(
        client,
        { node, ticker, activationParams: { name: node, listening_port: listeningPort }, poll: workload.poll },
        { taskQueue }
      )
    )
  );
  await Promise.allSettled(started.map(({ handle }) => handle.result()));
  return undefined;
}
