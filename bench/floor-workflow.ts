/**
 * The floor's workflows (`--floor`, floor.ts): one no-op activity, then done; and the same workflows as children of
 * one parent that starts them the way the fleet starts its members. Bundled by the in-process worker
 * (`workflowsPath`); imports nothing but @temporalio/workflow.
 *
 * @module
 */
import { condition, proxyActivities, startChild } from '@temporalio/workflow';

export interface FloorActivities {
  noop(): Promise<void>;
  /** Notes that it started, and returns once every workflow of the part has started its own. */
  held(): Promise<void>;
}

const { noop, held } = proxyActivities<FloorActivities>({ startToCloseTimeout: '5 minutes' });

export async function floorWorkflow(): Promise<void> {
  await noop();
}

/** One activity that runs until all of the part's have started: nothing of the part finishes while others start. */
export async function floorHeldWorkflow(): Promise<void> {
  await held();
}

export interface FloorFleetInput {
  /** Children's workflow ids are `${idPrefix}-${index}`. */
  idPrefix: string;
  workflows: number;
  /** Starts issued and not yet answered at most, as the fleet's `MAX_PENDING_STARTS`. */
  pendingStarts: number;
}

/** Starts `workflows` floor workflows as children, never more than `pendingStarts` unanswered, and awaits them all. */
export async function floorFleet({ idPrefix, workflows, pendingStarts }: FloorFleetInput): Promise<void> {
  let pending = 0;
  const results: Promise<void>[] = [];
  for (let index = 0; index < workflows; index += 1) {
    await condition(() => pending < pendingStarts);
    pending += 1;
    const started = startChild(floorWorkflow, { workflowId: `${idPrefix}-${index}` });
    results.push(
      started.then((child) => {
        pending -= 1;
        return child.result();
      })
    );
  }
  await Promise.all(results);
}
