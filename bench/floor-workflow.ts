/**
 * The floor's workflows (`--floor`, floor.ts): `floorWorkflow`, one no-op activity, then done; `floorFleet`, which
 * starts N of them as children with the fleet's bound on unanswered starts; and `floorHeldWorkflow`, whose activity
 * returns only once every workflow of its part has started its own. Bundled by the in-process worker
 * (`workflowsPath`, the module preloaded as kdf-lightning's are); imports nothing but @temporalio/workflow.
 *
 * @module
 */
import { condition, proxyActivities, startChild } from '@temporalio/workflow';

export interface FloorActivities {
  noop(): Promise<void>;
  /** Notes that its workflow got this far, and returns once every workflow of the part has. */
  held(): Promise<void>;
}

/** One attempt: a retried `held` would wait again, and a retried no-op would hide a failure. */
const { noop, held } = proxyActivities<FloorActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { maximumAttempts: 1 },
});

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
  /** Starts issued and not yet answered at most: the fleet's `MAX_PENDING_STARTS`. */
  pendingStarts: number;
}

/**
 * Starts `workflows` floor workflows as children, never more than `pendingStarts` unanswered, and awaits them all.
 * Nothing else of the fleet (preflights, search attributes, continue-as-new). Resolves with how many failed.
 */
export async function floorFleet({ idPrefix, workflows, pendingStarts }: FloorFleetInput): Promise<number> {
  let pending = 0;
  let failed = 0;
  const ended: Promise<void>[] = [];
  for (let index = 0; index < workflows; index += 1) {
    await condition(() => pending < pendingStarts);
    pending += 1;
    const child = startChild(floorWorkflow, { workflowId: `${idPrefix}-${index}` }).then(
      (started) => {
        pending -= 1;
        return started.result();
      },
      (error: unknown) => {
        pending -= 1;
        throw error;
      }
    );
    ended.push(child.catch(() => void (failed += 1)));
  }
  await Promise.all(ended);
  return failed;
}
