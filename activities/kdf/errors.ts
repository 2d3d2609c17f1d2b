/**
 * Errors the KDF client throws, on got's pattern: one base class, explicit `name`s, `cause` kept, bulky context
 * non-enumerable. Messages start with the KDF method. The node's userpass never reaches an error: the transport
 * builds every message and cause from sanitized text (see `transport.ts`).
 *
 * @module
 */
import { z } from 'zod';
import type { KdfErrorObject } from './methods.js';

/** Failure types of our own; every other failure type is a KDF `error_type`. */
export const KdfClientFailureType = {
  /** A legacy-envelope error (§1.6): HTTP 500 `{ "error": "..." }`, which has no `error_type` to classify by. */
  LegacyRpcError: 'LegacyRpcError',
  KdfTransportError: 'KdfTransportError',
  KdfProtocolError: 'KdfProtocolError',
  KdfInvalidParamsError: 'KdfInvalidParamsError',
  /** Something that is not a `KdfError` and has no name of its own reached the failure conversion. */
  KdfClientBug: 'KdfClientBug',
} as const;
export type KdfClientFailureType = (typeof KdfClientFailureType)[keyof typeof KdfClientFailureType];

/** Base class of every error the KDF client throws. */
export abstract class KdfError extends Error {
  override name = 'KdfError';

  constructor(
    /** The KDF method that was called, e.g. `task::enable_lightning::init`. */
    readonly method: string,
    message: string,
    options?: ErrorOptions
  ) {
    super(`${method}: ${message}`, options);
  }
}

/** Thrown when KDF answers with an error body: a v2 error envelope, or a legacy HTTP 500 `{ "error": "..." }`. */
export class KdfRpcError extends KdfError {
  override name = 'KdfRpcError';
  /** KDF's enum variant name, the stable discriminator (§1.3); `LegacyRpcError` for legacy errors. */
  readonly errorType: string;
  /** Module path the error propagated through, e.g. `init_l2.prelude`. */
  readonly errorPath: string | undefined;
  /** The variant's payload; absent for unit variants (§1.3). */
  readonly errorData: unknown;
  readonly httpStatus: number;
  /** `file:line]` pairs of the KDF build; non-enumerable. */
  declare readonly errorTrace: string | undefined;

  constructor(method: string, error: KdfErrorObject, httpStatus: number) {
    super(method, error.error);
    this.errorType = error.error_type;
    this.errorPath = error.error_path;
    this.errorData = error.error_data;
    this.httpStatus = httpStatus;
    Object.defineProperty(this, 'errorTrace', { value: error.error_trace, enumerable: false });
  }
}

export interface KdfTransportErrorOptions {
  /** Node/got error code (`ECONNREFUSED`, `ECONNRESET`, `ETIMEDOUT`, `ENOTFOUND`, …) or `HTTP_<status>`. */
  code: string;
  httpStatus?: number;
  cause?: Error;
}

/**
 * Thrown when no KDF answer arrived: connection refused or reset, timeout, DNS failure, or an HTTP 5xx without a
 * KDF error body (a proxy's 502 page).
 */
export class KdfTransportError extends KdfError {
  override name = KdfClientFailureType.KdfTransportError;
  readonly code: string;
  readonly httpStatus: number | undefined;

  constructor(method: string, message: string, { code, httpStatus, cause }: KdfTransportErrorOptions) {
    super(method, message, cause && { cause });
    this.code = code;
    this.httpStatus = httpStatus;
  }
}

/** Thrown when the reply is not what KDF sends: not JSON, or JSON that fails the method's schema. */
export class KdfProtocolError extends KdfError {
  override name = KdfClientFailureType.KdfProtocolError;

  constructor(
    method: string,
    message: string,
    readonly httpStatus: number,
    cause?: Error,
    /** The body did not even parse as JSON: cut off in transfer, or from something other than KDF. */
    readonly unparsable = false
  ) {
    super(method, message, cause && { cause });
  }
}

/** Thrown before anything is sent when the params fail the method's schema; the message names each bad field. */
export class KdfInvalidParamsError extends KdfError {
  override name = KdfClientFailureType.KdfInvalidParamsError;

  constructor(method: string, cause: z.ZodError) {
    super(method, `invalid params:\n${z.prettifyError(cause)}`, { cause });
  }
}
