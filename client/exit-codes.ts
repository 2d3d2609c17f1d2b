// Process exit codes of the `kdf-lightning` CLI (documented in client/README.md and `--help`).
import type { Outcome } from '../workflows/api.js';

export const ExitCode = {
  /** The enablement ended `enabled` (or the command succeeded). */
  ok: 0,
  /** The enablement failed (a KDF error, a lost task, an invalid input the workflow rejected, terminated). */
  failed: 2,
  /** The enablement was cancelled (ops `cancel` signal or Temporal cancellation). */
  cancelled: 3,
  /** The enablement hit its deadline (`--timeout`). */
  timedOut: 4,
  /** `fleet --dry-run`: a node did not answer (refused, timed out, an HTTP or protocol error). */
  nodeDown: 5,
  /** `fleet --dry-run`: a node refused the worker's userpass, or is not in the worker's KDF_NODES_FILE. */
  nodeRefused: 6,
  /** Bad usage or input: unknown flag, bad flag value, invalid enablement input. */
  usage: 64,
  /** No such enablement (nothing started for that node and ticker, or nothing running to cancel). */
  notFound: 66,
  /** The Temporal server could not be reached. */
  unavailable: 69,
  /** Anything unexpected (a bug): the message and stack go to stderr. */
  internal: 70,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

const OUTCOME_EXIT: Record<Outcome, ExitCode> = {
  enabled: ExitCode.ok,
  failed: ExitCode.failed,
  cancelled: ExitCode.cancelled,
  timed_out: ExitCode.timedOut,
};

export const outcomeExitCode = (outcome: Outcome): ExitCode => OUTCOME_EXIT[outcome];

/** Severity, lowest first: with several tickers the worst outcome decides the exit code. */
const SEVERITY: readonly ExitCode[] = [
  ExitCode.ok,
  ExitCode.cancelled,
  ExitCode.timedOut,
  ExitCode.failed,
  ExitCode.notFound,
  ExitCode.usage,
  ExitCode.unavailable,
  ExitCode.internal,
];

/** The most severe of several exit codes; `ok` for none. Order: ok < cancelled < timed out < failed < errors. */
export function worstExitCode(codes: Iterable<ExitCode>): ExitCode {
  let worst: ExitCode = ExitCode.ok;
  for (const code of codes) if (SEVERITY.indexOf(code) > SEVERITY.indexOf(worst)) worst = code;
  return worst;
}

export const EXIT_CODES_HELP = `Exit codes:
  0   enabled (every ticker), or the command succeeded
  2   failed (KDF error, lost task, terminated)
  3   cancelled
  4   timed out (deadline from --timeout)
  64  bad usage or input (the message names the flag or field)
  66  no such enablement / nothing running to cancel
  69  Temporal server unreachable
  70  unexpected internal error
With several tickers the worst outcome wins: failed > timed out > cancelled > enabled.`;
