/**
 * The floor's workflow (`--floor`, floor.ts): one no-op activity, then done. Bundled by the in-process worker
 * (`workflowsPath`); imports nothing but @temporalio/workflow.
 *
 * @module
 */
import { proxyActivities } from '@temporalio/workflow';

export interface FloorActivities {
  noop(): Promise<void>;
}

const { noop } = proxyActivities<FloorActivities>({ startToCloseTimeout: '1 minute' });

export async function floorWorkflow(): Promise<void> {
  await noop();
}
