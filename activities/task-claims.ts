import type { Client } from '@temporalio/client';
import { KdfNodeAttribute, KdfTaskIdAttribute } from '../workflows/api.js';

/** Whether a running enablement holds a KDF task: the durable side of `TaskIdTracker`. */
export interface TaskClaims {
  isClaimed(node: string, taskId: number): Promise<boolean>;
}

/**
 * Claims read from Temporal visibility: every enablement records the task it follows in `KdfTaskId`, so this
 * holds across workers and worker restarts. Asked only when a retried init looks for its lost task.
 */
export function visibilityTaskClaims(client: Client): TaskClaims {
  return {
    async isClaimed(node, taskId) {
      const query =
        `${KdfNodeAttribute.name} = ${JSON.stringify(node)} AND ${KdfTaskIdAttribute.name} = ${taskId}` +
        ` AND ExecutionStatus = "Running"`;
      return (await client.workflow.count(query)).count > 0;
    },
  };
}
