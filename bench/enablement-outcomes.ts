/**
 * What Temporal recorded for each enablement of a run: when its workflow closed, its history length, how many
 * workflow tasks it took and the KDF task id of its report. Read after the run, a few at a time.
 *
 * @module
 */
import type { Client } from '@temporalio/client';
import { enablementWorkflowId, type EnablementReport } from '../workflows/api.js';
import type { Member } from './workload.js';

const PARALLEL_READS = 50;

interface HistoryCost {
  historyLength: number;
  /** Workflow tasks completed (the events a worker had to replay and answer). */
  workflowTasks: number;
}

export type EnablementOutcome =
  | ({ kind: 'enabled'; node: string; taskId: number; closedAt: number } & HistoryCost)
  | ({ kind: 'failed'; message: string } & HistoryCost);

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
  const { closeTime } = await handle.describe();
  const events = (await handle.fetchHistory()).events ?? [];
  const cost: HistoryCost = {
    historyLength: events.length,
    workflowTasks: events.filter((event) => event.workflowTaskCompletedEventAttributes).length,
  };
  try {
    const report = (await handle.result()) as EnablementReport;
    if (report.taskId === null || closeTime === undefined) {
      return { kind: 'failed', message: `${ticker} on ${node}: enabled without a KDF task`, ...cost };
    }
    return { kind: 'enabled', node, taskId: report.taskId, closedAt: closeTime.getTime(), ...cost };
  } catch (error) {
    return { kind: 'failed', message: `${ticker} on ${node}: ${(error as Error).message}`, ...cost };
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
