/**
 * The targets (set for 1,000 enablements over 50 nodes with 1 s phases, on a 2-core machine), checked
 * against a run; with runs at several phase durations, also that events per enablement do not grow with them.
 *
 * @module
 */
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

export function checkTargets(main: RunResult, byPhase: readonly RunResult[]): TargetCheck[] {
  const { baseline, temporal } = main;
  const statusCallRatio = temporal.statusCallsPerEnablement / baseline.statusCallsPerEnablement;
  const checks: TargetCheck[] = [
    check(
      'enablements enabled (fewest of both sides)',
      `= ${main.config.enablements}`,
      Math.min(temporal.enabled, baseline.enabled),
      (v) => v === main.config.enablements
    ),
    check('makespan ratio (kdf-lightning / baseline)', `≤ ${TARGETS.ratio}`, main.ratio, (v) => v <= TARGETS.ratio),
    check('p95 detection latency, ms', `≤ ${TARGETS.p95DetectionLatencyMs}`, temporal.p95DetectionLatencyMs, (v) => {
      return v <= TARGETS.p95DetectionLatencyMs;
    }),
    check('status calls per enablement vs baseline', `≤ ${TARGETS.statusCallsVsBaseline}×`, statusCallRatio, (v) => {
      return v <= TARGETS.statusCallsVsBaseline;
    }),
    check(
      'history events per enablement (max)',
      `≤ ${TARGETS.eventsPerEnablement}`,
      temporal.maxEventsPerEnablement,
      (v) => {
        return v <= TARGETS.eventsPerEnablement;
      }
    ),
    check('worker peak RSS, MB', `≤ ${TARGETS.workerPeakRssMb}`, temporal.workerPeakRssMb, (v) => {
      return v <= TARGETS.workerPeakRssMb;
    }),
  ];
  const shortest = byPhase[0];
  const longest = byPhase.at(-1);
  if (shortest && longest && shortest !== longest) {
    const growth = longest.temporal.eventsPerEnablement - shortest.temporal.eventsPerEnablement;
    checks.push(
      check(
        `events per enablement growth, ${shortest.config.phaseMs} → ${longest.config.phaseMs} ms phases`,
        '≤ 0',
        growth,
        (v) => v <= 0
      )
    );
  }
  return checks;
}

function check(name: string, target: string, value: number, met: (value: number) => boolean): TargetCheck {
  return { name, target, value: Number(value.toFixed(2)), met: met(value) };
}
