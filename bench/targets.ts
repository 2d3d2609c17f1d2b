/**
 * The issues' targets (set for 1,000 enablements over 50 nodes with 1 s phases, on a 2-core machine), checked
 * against a run; with runs at several phase durations, also that events per enablement do not grow with them; with
 * `--push`, the push side's own targets.
 *
 * @module
 */
import type { FloorResult } from './floor.js';
import type { RunResult } from './measure.js';

export interface TargetCheck {
  name: string;
  target: string;
  value: number;
  met: boolean;
}

export const TARGETS = {
  ratio: 1.3,
  p95DetectionLatencyMs: 2_000,
  statusCallsVsBaseline: 2,
  eventsPerEnablement: 80,
  workerPeakRssMb: 300,
} as const;

/** Cost per enablement near the server's floor (issue #18); the floor workflow takes 11 events and 2 workflow tasks. */
export const COST_TARGETS = {
  costRatio: 1.3,
  meanEventsPerEnablement: 15,
  workflowTasksPerEnablement: 3,
} as const;

/** Side (c), kdf-lightning + push (issue #10). */
export const PUSH_TARGETS = {
  ratio: 1.3,
  p95DetectionLatencyMs: 200,
  statusCallsPerEnablement: 3,
} as const;

export function checkTargets(main: RunResult, byPhase: readonly RunResult[], floor?: FloorResult): TargetCheck[] {
  const { baseline, temporal, push } = main;
  const statusCallRatio = temporal.statusCallsPerEnablement / baseline.statusCallsPerEnablement;
  const checks: TargetCheck[] = [
    check(
      `enablements enabled (fewest of ${push ? 'all' : 'both'} sides)`,
      `= ${main.config.enablements}`,
      Math.min(temporal.enabled, baseline.enabled, push?.enabled ?? Infinity),
      (v) => v === main.config.enablements
    ),
    atMost('makespan ratio (kdf-lightning / baseline)', TARGETS.ratio, main.ratio),
    atMost('p95 detection latency, ms', TARGETS.p95DetectionLatencyMs, temporal.p95DetectionLatencyMs),
    atMost('status calls per enablement vs baseline', TARGETS.statusCallsVsBaseline, statusCallRatio, '×'),
    atMost('history events per enablement (max)', TARGETS.eventsPerEnablement, temporal.maxEventsPerEnablement),
    atMost('worker peak RSS, MB', TARGETS.workerPeakRssMb, temporal.workerPeakRssMb),
    atMost('history events per enablement (mean)', COST_TARGETS.meanEventsPerEnablement, temporal.eventsPerEnablement),
    atMost(
      'workflow tasks per enablement (mean)',
      COST_TARGETS.workflowTasksPerEnablement,
      temporal.workflowTasksPerEnablement
    ),
  ];
  if (floor) checks.push(atMost('cost ratio (kdf-lightning / floor)', COST_TARGETS.costRatio, floor.costRatio));
  if (push) {
    checks.push(
      atMost('push: makespan ratio (kdf-lightning + push / baseline)', PUSH_TARGETS.ratio, main.pushRatio ?? NaN),
      atMost('push: p95 detection latency, ms', PUSH_TARGETS.p95DetectionLatencyMs, push.p95DetectionLatencyMs),
      atMost('push: status calls per enablement', PUSH_TARGETS.statusCallsPerEnablement, push.statusCallsPerEnablement)
    );
  }
  const shortest = byPhase[0];
  const longest = byPhase.at(-1);
  if (shortest && longest && shortest !== longest) {
    const growth = longest.temporal.eventsPerEnablement - shortest.temporal.eventsPerEnablement;
    checks.push(
      atMost(
        `events per enablement growth, ${shortest.config.phaseMs} → ${longest.config.phaseMs} ms phases`,
        0,
        growth
      )
    );
  }
  return checks;
}

function check(name: string, target: string, value: number, met: (value: number) => boolean): TargetCheck {
  return { name, target, value: Number(value.toFixed(2)), met: met(value) };
}

/** A figure that must not exceed `limit`; the target reads `≤ limit` (with `unit`). */
const atMost = (name: string, limit: number, value: number, unit = ''): TargetCheck =>
  check(name, `≤ ${limit}${unit}`, value, (v) => v <= limit);
