/**
 * What Temporal recorded for each enablement of a run: when its workflow closed, its history length and the KDF
 * task id of its report. Read after the run, a few at a time.
 *
 * @module
 */
import type { Client } from '@temporalio/client';
import { enablementWorkflowId, type EnablementReport } from '../workflows/api.js';
import type { Member } from './workload.js';

const PARALLEL_READS = 50;

export type EnablementOutcome =
  | { kind: 'enabled'; node: string; taskId: number; closedAt: number; historyLength: number }
  | { kind: 'failed'; message: string; historyLength: number };

export async function readOutcomes(client: Client, members: readonly Member[]): Promise<EnablementOutcome[]> {
  const outcomes: EnablementOutcome[] = [];
  for (let first = 0; first < members.length; first += PARALLEL_READS) {
    const batch = members.slice(first, first + PARALLEL_READS);
    outcomes.push(...(await Promise.all(batch.map((member) => readOutcome(client, member)))));
  }
  return outcomes;
}

async function readOutcome(client: Client, { node, ticker }: Member): Promise<EnablementOutcome> {
  const handle = client.workflow.getHandle(enablementWorkflowId(node, ticker));
  const description = await handle.describe();
  const { historyLength, closeTime } = description;
  try {
    const report = (await handle.result()) as EnablementReport;
    if (report.taskId === null || closeTime === undefined) {
      return { kind: 'failed', message: `${ticker} on ${node}: enabled without a KDF task`, historyLength };
    }
    return { kind: 'enabled', node, taskId: report.taskId, closedAt: closeTime.getTime(), historyLength };
  } catch (error) {
    return { kind: 'failed', message: `${ticker} on ${node}: ${(error as Error).message}`, historyLength };
  }
}

/** Events of every run of a workflow (a fleet continues as new every 1,000 members). */
export async function historyLengthOfAllRuns(client: Client, workflowId: string): Promise<number> {
  let total = 0;
  for await (const run of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
    total += (await client.workflow.getHandle(workflowId, run.runId).describe()).historyLength;
  }
  return total;
}
