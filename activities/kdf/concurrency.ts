/** Runs `task` once fewer than the limit of earlier tasks are still running; waiting ends early on abort. */
export type ConcurrencyLimit = <T>(task: () => Promise<T>, signal?: AbortSignal) => Promise<T>;

/**
 * A FIFO semaphore. `undefined` means no limit.
 * @throws RangeError when `max` is not a positive integer (0 would block every request forever)
 */
export function createConcurrencyLimit(max: number | undefined): ConcurrencyLimit {
  if (max === undefined) return (task) => task();
  if (!Number.isInteger(max) || max < 1) throw new RangeError(`maxConcurrentRequests must be a positive integer`);

  let running = 0;
  const waiting: (() => void)[] = [];

  const acquire = (signal: AbortSignal | undefined): Promise<void> => {
    if (running < max) {
      running += 1;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const grant = (): void => {
        signal?.removeEventListener('abort', abandon);
        resolve();
      };
      const abandon = (): void => {
        waiting.splice(waiting.indexOf(grant), 1);
        reject(signal?.reason);
      };
      signal?.throwIfAborted();
      signal?.addEventListener('abort', abandon, { once: true });
      waiting.push(grant);
    });
  };

  // a released slot passes straight to the next waiter, so `running` only drops when nobody waits
  const release = (): void => {
    const next = waiting.shift();
    if (next) next();
    else running -= 1;
  };

  return async (task, signal) => {
    await acquire(signal);
    try {
      return await task();
    } finally {
      release();
    }
  };
}
