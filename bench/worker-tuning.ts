/**
 * The worker settings the benchmark's figures come from (bench/README.md explains each), passed to
 * `worker/main.ts` through its environment variables (worker/README.md).
 *
 * @module
 */
export const BENCH_WORKER_TUNING = {
  /** One poll activity per running enablement: every enablement of the run holds a slot at once. */
  KDF_MAX_CONCURRENT_ACTIVITIES: '2000',
  /** Every running enablement (and the fleet) stays in the sticky cache: a phase change is one short task. */
  KDF_MAX_CACHED_WORKFLOWS: '2000',
  KDF_MAX_CONCURRENT_WORKFLOW_TASKS: '40',
} as const satisfies Record<string, string>;
