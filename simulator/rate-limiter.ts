/**
 * KDF's login rate limiter: wrong userpasses counted per client IP, a ban at ten, in memory until the process
 * restarts; correct logins never reset the count (contract §1.4).
 *
 * @module
 */
import { MAX_FAILED_LOGINS } from './kdf-constants.js';

export class RateLimiter {
  readonly #failures = new Map<string, number>();

  isBanned(ip: string): boolean {
    return (this.#failures.get(ip) ?? 0) >= MAX_FAILED_LOGINS;
  }

  /** Counts a wrong userpass; returns the attempts left (9, 8, …, 0). */
  recordFailure(ip: string): number {
    const failures = (this.#failures.get(ip) ?? 0) + 1;
    this.#failures.set(ip, failures);
    return MAX_FAILED_LOGINS - failures;
  }
}
