/**
 * The worker settings the benchmark's figures come from (bench/README.md explains each), passed to
 * `worker/main.ts` through its environment variables (worker/README.md).
 *
 * @module
 */
export const BENCH_WORKER_TUNING = {
  /** One poll activity per running enablement: every enablement of the run holds a slot at once. */
  KDF_MAX_CONCURRENT_ACTIVITIES: '2000',
  /**
   * Every running enablement (and the fleet) stays in the sticky cache. A smaller cache saves memory (~165 KB an
   * enablement) but sends the workflow tasks of evicted enablements through a replay, which is slow when many end
   * at once, and evicts the fleet, whose long history then replays again and again (bench/README.md).
   */
  KDF_MAX_CACHED_WORKFLOWS: '2000',
  KDF_MAX_CONCURRENT_WORKFLOW_TASKS: '40',
  /**
   * The worker's live data is small, but V8 grows its heaps lazily towards the machine's memory. These limits apply
   * to the main thread and to the workflow thread alike (the SDK gives the latter no resourceLimits of its own).
   */
  NODE_OPTIONS: '--max-old-space-size=160 --max-semi-space-size=4',
  /** glibc's default of one malloc arena per thread (Temporal core runs a thread pool) adds idle RSS. */
  MALLOC_ARENA_MAX: '2',
} as const satisfies Record<string, string>;
