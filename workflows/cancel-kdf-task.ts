import { ApplicationFailure, log, proxyActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type { EnablementActivities } from '../activities/index.js';
import { failureOf } from './failures.js';
import { countOne, WORKFLOW_COUNTERS } from './metrics.js';
import { KdfPhaseAttribute, type CompensationInput, type CompensationReport } from './api.js';

/**
 * Goes on cancelling a KDF task after its enablement ended without the node's answer (design.md G2): the same
 * compensation activity, retried until `windowMs` has passed. Ends Failed (`CompensationUnconfirmed`) when the
 * node never answered, so that operators see it.
 */
export async function cancelKdfTask(input: CompensationInput): Promise<CompensationReport> {
  const { node, ticker, taskId, knownPhase, windowMs } = input;
  const { compensateTask } = proxyActivities<EnablementActivities>({
    scheduleToCloseTimeout: windowMs,
    startToCloseTimeout: '30 seconds',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
  });
  try {
    const result = await compensateTask({ node, ticker, taskId, knownPhase });
    upsertSearchAttributes([{ key: KdfPhaseAttribute, value: result.enabled ? 'enabled' : result.cancel }]);
    return { node, ticker, taskId, result: result.cancel, enabled: result.enabled };
  } catch (error) {
    const { type, message } = failureOf(error);
    const lastError = { type, message };
    countOne(WORKFLOW_COUNTERS.compensationsUnconfirmed, { node });
    log.error('compensation not confirmed: the KDF task may still be running', { node, ticker, taskId, ...lastError });
    const report: CompensationReport = { node, ticker, taskId, result: 'unconfirmed', enabled: null, lastError };
    upsertSearchAttributes([{ key: KdfPhaseAttribute, value: report.result }]);
    throw ApplicationFailure.create({
      type: 'CompensationUnconfirmed',
      message: `node ${node} did not confirm the cancel of task ${taskId} within ${windowMs} ms: ${lastError.message}`,
      nonRetryable: true,
      details: [report],
    });
  }
}
