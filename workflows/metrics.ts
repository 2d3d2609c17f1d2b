// The workflows' own counters, named once: the workflows count through them, and the worker exports each one at zero
// for every node before the first event (worker/metrics.ts), since Prometheus' increase() cannot see the first
// increment of a series that appears at 1. Histograms need no such start: they are read through rate().
import { metricMeter } from '@temporalio/workflow';

export interface CounterSpec {
  name: string;
  unit: string;
  description: string;
  /** the workflow that counts it (its `workflowType` label) */
  workflowType: 'enableLightning' | 'cancelKdfTask';
}

export const WORKFLOW_COUNTERS = {
  started: {
    name: 'kdf_enablements_started',
    unit: 'enablements',
    description: 'Enablements started',
    workflowType: 'enableLightning',
  },
  finished: {
    name: 'kdf_enablements',
    unit: 'enablements',
    description: 'Finished enablements by node and outcome',
    workflowType: 'enableLightning',
  },
  deadlinesPassed: {
    name: 'kdf_deadlines_passed',
    unit: 'enablements',
    description: 'Enablements whose deadline passed while they ran',
    workflowType: 'enableLightning',
  },
  deadlinesSettled: {
    name: 'kdf_deadlines_settled',
    unit: 'enablements',
    description: 'Enablements ended after their deadline passed',
    workflowType: 'enableLightning',
  },
  compensationsUnconfirmed: {
    name: 'kdf_compensations_unconfirmed',
    unit: 'tasks',
    description: 'KDF tasks whose cancel the node never confirmed',
    workflowType: 'cancelKdfTask',
  },
} as const satisfies Record<string, CounterSpec>;

/** Adds one to a workflow counter (skipped during replay, like every workflow metric). */
export function countOne(spec: CounterSpec, labels: Record<string, string>): void {
  metricMeter.createCounter(spec.name, spec.unit, spec.description).add(1, labels);
}
