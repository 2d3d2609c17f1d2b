/**
 * The figures both sides report, computed the same way for both from what each side observed.
 *
 * @module
 */

export interface Completion {
  /** Simulator time (wall-clock ms) at which the KDF task turned Ok; undefined if that push was missed. */
  okAt: number | undefined;
  /** Wall-clock ms at which the side recorded the enablement as done. */
  detectedAt: number;
}

export interface SideObservation {
  enablements: number;
  /** How long a simulated task takes from its init to Ok (its eight phases). */
  activationMs: number;
  startedAt: number;
  finishedAt: number;
  completions: Completion[];
  failures: string[];
  /** RPC calls per method that reached the simulated nodes during the run. */
  calls: Record<string, number>;
}

export interface SideSummary {
  makespanMs: number;
  /** Enablements per second over the makespan. */
  throughputPerSecond: number;
  enabled: number;
  failed: number;
  /** A few failure messages, for the report. */
  failureSamples: string[];
  /** Latency from the simulator marking a task Ok to this side recording the enablement done. */
  p50DetectionLatencyMs: number;
  p95DetectionLatencyMs: number;
  maxDetectionLatencyMs: number;
  /**
   * From the side's start to its inits, median and last: how quickly the side got its inits out; the makespan is
   * about the last init, the activation and the detection latency. An init's instant is its task's Ok instant less
   * the activation, so it is late by as much as the simulator applied the Ok late (its timer's lag in the bench
   * process: milliseconds when idle, more while the machine is saturated).
   */
  p50InitAfterStartMs: number;
  lastInitAfterStartMs: number;
  statusCallsPerEnablement: number;
  initCallsPerEnablement: number;
  callsPerEnablement: Record<string, number>;
}

const STATUS = 'task::enable_lightning::status';
const INIT = 'task::enable_lightning::init';

export function summarize(observation: SideObservation): SideSummary {
  const { enablements, calls } = observation;
  const makespanMs = observation.finishedAt - observation.startedAt;
  const latencies = observation.completions
    .flatMap(({ okAt, detectedAt }) => (okAt === undefined ? [] : [detectedAt - okAt]))
    .sort((a, b) => a - b);
  const initsAfterStart = observation.completions
    .flatMap(({ okAt }) => (okAt === undefined ? [] : [okAt - observation.activationMs - observation.startedAt]))
    .sort((a, b) => a - b);
  const perEnablement = (count: number) => round(count / enablements, 2);
  return {
    makespanMs,
    throughputPerSecond: round((enablements / makespanMs) * 1000, 1),
    enabled: observation.completions.length,
    failed: observation.failures.length,
    failureSamples: observation.failures.slice(0, 5),
    p50DetectionLatencyMs: percentile(latencies, 0.5),
    p95DetectionLatencyMs: percentile(latencies, 0.95),
    maxDetectionLatencyMs: latencies.at(-1) ?? Number.NaN,
    p50InitAfterStartMs: percentile(initsAfterStart, 0.5),
    lastInitAfterStartMs: initsAfterStart.at(-1) ?? Number.NaN,
    statusCallsPerEnablement: perEnablement(calls[STATUS] ?? 0),
    initCallsPerEnablement: perEnablement(calls[INIT] ?? 0),
    callsPerEnablement: Object.fromEntries(
      Object.entries(calls).map(([method, count]) => [method, perEnablement(count)])
    ),
  };
}

/** Nearest-rank percentile of ascending `values`; NaN when empty. */
export function percentile(values: readonly number[], fraction: number): number {
  if (values.length === 0) return Number.NaN;
  return values[Math.min(values.length - 1, Math.ceil(values.length * fraction) - 1)] as number;
}

export const round = (value: number, digits = 0): number => Number(value.toFixed(digits));
