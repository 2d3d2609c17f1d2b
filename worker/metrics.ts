// The worker's own metrics next to the SDK's: the workflows' counters exported at zero from the start, and the
// health of each node's KDF event stream.
import type { MetricMeter } from '@temporalio/common';
import type { Logger as PinoLogger } from 'pino';
import type { EventStreamHooks } from '../activities/index.js';
import { Outcome } from '../workflows/api.js';
import { WORKFLOW_COUNTERS } from '../workflows/metrics.js';
import type { CounterSpec } from '../workflows/metrics.js';

/**
 * Every workflow counter at 0 for each node (and outcome), under the labels the workflows' own increments carry, so
 * that the first failure, unconfirmed compensation or passed deadline on a node is an increase Prometheus can see.
 */
export function exportWorkflowCountersAtZero(
  meter: MetricMeter,
  scope: { namespace: string; taskQueue: string },
  nodeIds: readonly string[]
): void {
  const zero = (spec: CounterSpec, labels: Record<string, string>) =>
    meter
      .withTags({ namespace: scope.namespace, taskQueue: scope.taskQueue, workflowType: spec.workflowType })
      .createCounter(spec.name, spec.unit, spec.description)
      .add(0, labels);
  for (const node of nodeIds) {
    for (const outcome of Object.values(Outcome)) zero(WORKFLOW_COUNTERS.finished, { node, outcome });
    zero(WORKFLOW_COUNTERS.started, { node });
    zero(WORKFLOW_COUNTERS.deadlinesPassed, { node });
    zero(WORKFLOW_COUNTERS.deadlinesSettled, { node });
    zero(WORKFLOW_COUNTERS.compensationsUnconfirmed, { node });
  }
}

/** Stream health per node and events received; connection changes are logged. */
export function eventStreamMetrics(meter: MetricMeter, logger: PinoLogger): EventStreamHooks {
  const connected = meter.createGauge('kdf_event_stream_connected', 'int', '', 'KDF event stream connected (1) or not');
  const events = meter.createCounter('kdf_event_stream_events', 'events', 'KDF event stream frames received');
  return {
    onConnection: (node, isConnected) => {
      connected.set(isConnected ? 1 : 0, { node });
      logger.info({ node, connected: isConnected }, 'KDF event stream');
    },
    onEvent: (node) => events.add(1, { node }),
  };
}
