/**
 * Which KDF failures are worth retrying, decided once, and their conversion to Temporal `ApplicationFailure`s.
 * Section numbers (§) refer to the KDF RPC contract.
 *
 * @module
 */
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { KdfClientFailureType, KdfError, KdfProtocolError, KdfRpcError, KdfTransportError } from './errors.js';

/** Whether a failure is worth retrying, and why. */
export interface RetryDecision {
  readonly retryable: boolean;
  readonly reason: string;
}

/** Every KDF `error_type` this client can meet, plus our `LegacyRpcError`. */
export const KdfErrorTypeClassification = {
  // dispatcher errors, any v2 method (§1.4)
  InvalidRequest: { retryable: false, reason: 'the envelope or params do not parse; the same request fails again' },
  InvalidMmRpcVersion: { retryable: false, reason: 'client bug: mmrpc must be "2.0"' },
  NoSuchMethod: { retryable: false, reason: 'the build lacks the method (WASM, or a legacy-only method sent as v2)' },
  LocalHostOnly: { retryable: false, reason: 'the node refuses non-loopback callers until its config changes' },
  UserpassIsNotSet: { retryable: false, reason: 'configuration error: no userpass sent' },
  UserpassIsInvalid: { retryable: false, reason: 'wrong userpass; each retry spends a rate-limit attempt, then bans' },
  Banned: { retryable: false, reason: 'the IP stays banned until KDF restarts' },
  // InitL2Error (§2.1)
  L2IsAlreadyActivated: { retryable: false, reason: 'the coin is already enabled: reconcile instead of retrying' },
  L2ConfigIsNotFound: { retryable: false, reason: 'the ticker is missing from the coins config' },
  L2ProtocolParseError: { retryable: false, reason: 'the coins config entry is malformed' },
  UnexpectedL2Protocol: { retryable: false, reason: 'the ticker is not a lightning coin' },
  L2ConfigParseError: { retryable: false, reason: 'the coins config entry is malformed' },
  PlatformCoinIsNotActivated: {
    retryable: false,
    reason: 'the platform coin must be enabled first; time does not fix it',
  },
  UnsupportedPlatformCoin: { retryable: false, reason: 'the platform is not a plain UTXO coin' },
  InvalidPlatformConfiguration: { retryable: false, reason: 'the platform config lacks a field (avg_blocktime)' },
  TaskTimedOut: {
    retryable: false,
    reason: 'raised only while waiting for a hardware-wallet user action (§3.5); a new task would wait again',
  },
  Transport: { retryable: true, reason: 'KDF could not reach its electrum/RPC backend; usually transient' },
  Internal: {
    retryable: true,
    reason:
      'for status and cancel: lock and cancelling-race errors that pass; a refused init (non-segwit platform, bad ' +
      'name) is final whatever its type, as every KDF error reply to init is (activities/enablement.ts startTask)',
  },
  // rpc_task status/cancel errors (§2.2, §2.3)
  NoSuchTask: {
    retryable: false,
    reason: 'the task was forgotten, cancelled or lost in a KDF restart; its id never returns, so reconcile',
  },
  TaskFinished: { retryable: false, reason: 'the task already ended; read its final status instead of cancelling' },
  [KdfClientFailureType.LegacyRpcError]: {
    retryable: false,
    reason: 'legacy errors carry no type; they include wrong userpass and ban, where a retry makes things worse',
  },
} as const satisfies Record<string, RetryDecision>;

/**
 * Applied to `error_type`s missing from the table (new KDF versions). KDF reports transient trouble as
 * `Transport` or `Internal`; the other variants we know are deterministic validation or configuration
 * errors, so retrying an unknown one most likely just burns the deadline (or rate-limit attempts). The failure
 * keeps the type, so it can be added to the table once seen.
 */
export const unknownErrorTypeClassification: RetryDecision = {
  retryable: false,
  reason: 'unknown KDF error types are presumed deterministic',
};

const classificationByErrorType: ReadonlyMap<string, RetryDecision> = new Map(
  Object.entries(KdfErrorTypeClassification)
);

export function classificationOf(errorType: string): RetryDecision {
  return classificationByErrorType.get(errorType) ?? unknownErrorTypeClassification;
}

/**
 * KDF errors follow the table; no answer at all (`KdfTransportError`) and a body that is not even JSON (cut off in
 * transfer: KDF always answers JSON) are retryable; JSON of the wrong shape (`KdfProtocolError`) and params we
 * could not send (`KdfInvalidParamsError`) are not, since asking again gets the same answer.
 */
export function isRetryable(error: KdfError): boolean {
  if (error instanceof KdfRpcError) return classificationOf(error.errorType).retryable;
  if (error instanceof KdfProtocolError) return error.unparsable;
  return error instanceof KdfTransportError;
}

/** The KDF `error_type` for `KdfRpcError`, the class name otherwise. */
export function failureTypeOf(error: KdfError): string {
  return error instanceof KdfRpcError ? error.errorType : error.name;
}

/** `details[0]` of the failures made by {@link toApplicationFailure}. */
export interface KdfFailureDetails {
  method: string;
  errorType: string;
  errorData?: unknown;
  httpStatus?: number;
  /** transport errors only, e.g. `ECONNREFUSED` or `HTTP_502` */
  code?: string;
}

/**
 * The failure an activity throws for `error`. `type` is {@link failureTypeOf} and `nonRetryable` comes from
 * {@link isRetryable} (or `override`). No `cause` is attached: the details carry what workflows need, and nothing
 * else leaves the worker. An `ApplicationFailure` passes through unchanged, and so does a `CancelledFailure` (what
 * an aborted call rejects with inside an activity), because Temporal reports the activity as cancelled only for
 * that type. Anything else (a Temporal client error, a defect of ours) is retryable under its own name: a retry
 * costs little, and the workflow's deadline bounds it (design.md G7).
 */
export function toApplicationFailure(error: KdfError, override?: { nonRetryable: boolean }): ApplicationFailure;
export function toApplicationFailure(
  error: unknown,
  override?: { nonRetryable: boolean }
): ApplicationFailure | CancelledFailure;
export function toApplicationFailure(
  error: unknown,
  override?: { nonRetryable: boolean }
): ApplicationFailure | CancelledFailure {
  if (error instanceof ApplicationFailure || error instanceof CancelledFailure) return error;
  if (!(error instanceof KdfError)) {
    return ApplicationFailure.create({
      type: error instanceof Error && error.name !== 'Error' ? error.name : KdfClientFailureType.KdfClientBug,
      message: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      nonRetryable: override?.nonRetryable ?? false,
    });
  }
  return ApplicationFailure.create({
    type: failureTypeOf(error),
    message: error.message,
    nonRetryable: override?.nonRetryable ?? !isRetryable(error),
    details: [detailsOf(error)],
  });
}

function detailsOf(error: KdfError): KdfFailureDetails {
  const details: KdfFailureDetails = { method: error.method, errorType: failureTypeOf(error) };
  if (error instanceof KdfRpcError) return { ...details, errorData: error.errorData, httpStatus: error.httpStatus };
  if (error instanceof KdfTransportError) {
    return { ...details, code: error.code, ...(error.httpStatus !== undefined && { httpStatus: error.httpStatus }) };
  }
  if (error instanceof KdfProtocolError) return { ...details, httpStatus: error.httpStatus };
  return details;
}
