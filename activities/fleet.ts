import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { FailureType, REPORT_MEMO_KEY, type EnablementReport } from '../workflows/api.js';

const HEARTBEAT_EVERY_MS = 10_000;

export interface FleetActivityDependencies {
  client: Client;
}

/** Activities of the fleet workflow: following enablements that it did not start itself. */
export function createFleetActivities({ client }: FleetActivityDependencies) {
  return {
    /**
     * Waits for an enablement started elsewhere (the CLI, an earlier fleet or fleet run; `runId` when known) and
     * returns its report; a failed or cancelled one is rethrown as a non-retryable failure of the same type carrying
     * its report.
     */
    async awaitEnablement({ workflowId, runId }: { workflowId: string; runId?: string }): Promise<EnablementReport> {
      const context = Context.current();
      const handle = client.workflow.getHandle(workflowId, runId);
      const heartbeats = setInterval(() => context.heartbeat(), HEARTBEAT_EVERY_MS);
      try {
        return (await Promise.race([handle.result(), context.cancelled])) as EnablementReport;
      } catch (error) {
        if (!(error instanceof WorkflowFailedError)) throw error;
        const cause = error.cause;
        if (cause instanceof ApplicationFailure) {
          throw ApplicationFailure.create({
            type: cause.type ?? 'ApplicationFailure',
            message: cause.message,
            nonRetryable: true,
            details: cause.details ?? [],
          });
        }
        const memo = (await handle.describe()).memo?.[REPORT_MEMO_KEY];
        const type = cause instanceof CancelledFailure ? FailureType.cancelled : (cause?.name ?? 'UnknownFailure');
        throw ApplicationFailure.create({
          type,
          message: error.message,
          nonRetryable: true,
          details: memo ? [memo] : [],
        });
      } finally {
        clearInterval(heartbeats);
      }
    },
  };
}

export type FleetActivities = ReturnType<typeof createFleetActivities>;
