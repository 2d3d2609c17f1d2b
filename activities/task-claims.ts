import type { Client } from '@temporalio/client';
import { KdfNodeAttribute, KdfPhaseAttribute, KdfTaskIdAttribute, STARTING_PHASE } from '../workflows/api.js';

/** Which KDF tasks running enablements hold: the durable side of `TaskIdTracker`. */
export interface TaskClaims {
  /** Whether a running enablement other than `exceptWorkflowId` holds `taskId` on `node`. */
  isClaimed(node: string, taskId: number, exceptWorkflowId: string): Promise<boolean>;
  /** Running enablements on `node`, other than `exceptWorkflowId`, that may hold a task they have not recorded. */
  startsUnrecorded(node: string, exceptWorkflowId: string): Promise<number>;
}

/**
 * Claims read from Temporal visibility: every enablement records the task it follows in `KdfTaskId`, so this
 * holds across workers and worker restarts. Asked only when a retried init looks for its lost task.
 */
export function visibilityTaskClaims(client: Client): TaskClaims {
  const running = async (conditions: string): Promise<number> =>
    (await client.workflow.count(`${conditions} AND ExecutionStatus = "Running"`)).count;
  return {
    async isClaimed(node, taskId, exceptWorkflowId) {
      const holding = `${onNode(node)} AND ${KdfTaskIdAttribute.name} = ${taskId}`;
      return (await running(`${holding} AND ${notWorkflow(exceptWorkflowId)}`)) > 0;
    },
    async startsUnrecorded(node, exceptWorkflowId) {
      const starting = `${onNode(node)} AND ${KdfPhaseAttribute.name} = ${JSON.stringify(STARTING_PHASE)}`;
      return running(`${starting} AND ${notWorkflow(exceptWorkflowId)}`);
    },
  };
}

const onNode = (node: string): string => `${KdfNodeAttribute.name} = ${JSON.stringify(node)}`;
const notWorkflow = (workflowId: string): string => `WorkflowId != ${JSON.stringify(workflowId)}`;
