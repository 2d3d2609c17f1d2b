/**
 * The settings of a chaos run, and the seeded random numbers that make its schedule replayable.
 *
 * @module
 */

export interface ChaosOptions {
  enablements: number;
  /** Length of the disruption window (the fleet is paced to last about as long). */
  seconds: number;
  /** Simulated KDF nodes; default: one per 10 enablements. */
  nodes?: number;
  workerKills?: number;
  /** Temporal on PostgreSQL (scripts/cluster.mjs) instead of the dev server. */
  cluster?: boolean;
  /** Restarts of the dev server; on a cluster, of the Temporal server and PostgreSQL by turns. */
  devServerRestarts?: number;
  simulatorRestarts?: number;
  faultBursts?: number;
  /**
   * Inject malformed (truncated, unparsable) replies. Default true. The KDF client classifies them as a
   * retryable `KdfProtocolError` (a body cut off in transfer; JSON of the wrong shape would not be retried).
   */
  malformedFaults?: boolean;
  /**
   * Lose replies after handling them: dropped (`drop-after-handling`) or sent after the worker's 2 s request
   * timeout (`slow-reply`). Default true. An init whose reply is lost is in doubt: the enablement inits again
   * and KDF lets only one of the tasks end Ok (docs/guarantees.md G4).
   */
  lostResponses?: boolean;
  /**
   * Background 5xx and resets on every node for the whole run (low probability). Default true. Latency and the
   * scheduled fault bursts are always on.
   */
  backgroundErrors?: boolean;
  /** Every `failEvery`th member's ticker fails on the node (a KDF task error), so failures are exercised too. */
  failEvery?: number;
  /** Members whose activation hangs, with a short deadline (`hangTimeoutMs`). Default: one per 50 members. */
  hangMembers?: number;
  /** @default 15000 */
  hangTimeoutMs?: number;
  /**
   * Of the hanging members, how many have their node's cancels answer 503 for 35 s around their deadline, so that
   * compensation hands the task to a `cancelKdfTask` workflow. Default: half of them, rounded up.
   */
  cancelOutages?: number;
  /** Members whose init KDF refuses (a platform without segwit). Default: one per 100 members. */
  refusedMembers?: number;
  /** Chance that a cancel answers success while the task completes Ok (`complete-on-cancel`). Default 0.2. */
  completeOnCancel?: number;
  /** One node restarts right after its first status reply that says Ok (`restart-after-reply`). Default true. */
  restartAfterOk?: boolean;
  phaseMs?: number;
  seed?: number;
  /** Give up waiting for the fleet this long after the disruption window. @default 180 */
  settleSeconds?: number;
  /** Give up waiting for the `cancelKdfTask` workflows this long after the fleet ended. @default 120 */
  compensationWaitSeconds?: number;
  onPid?: (pid: number) => void;
  log?: (line: string) => void;
  keepDir?: boolean;
}

/** mulberry32: a seeded PRNG, so a schedule can be replayed with --seed. */
export function rng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
