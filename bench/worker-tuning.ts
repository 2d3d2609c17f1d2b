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
   * An enablement waits in its one activity between its two workflow tasks, so its cache entry (~180 KB) buys
   * nothing but skipping one replay of ~10 events at its end: 1,000 at 10 s phases, 533 MB peak RSS with 2,000
   * entries, 351 MB with 200, same CPU and makespan (bench/README.md). The fleet, active all along, stays cached.
   */
  KDF_MAX_CACHED_WORKFLOWS: '200',
  KDF_MAX_CONCURRENT_WORKFLOW_TASKS: '40',
  /**
   * The worker's live data is small, but V8 grows its heaps lazily towards the machine's memory. These limits apply
   * to the main thread and to the workflow thread alike (the SDK gives the latter no resourceLimits of its own).
   */
  NODE_OPTIONS: '--max-old-space-size=160 --max-semi-space-size=1',
  /** glibc's default of one malloc arena per thread (Temporal core runs a thread pool) adds idle RSS. */
  MALLOC_ARENA_MAX: '2',
} as const satisfies Record<string, string>;
