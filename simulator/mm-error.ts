/**
 * KDF's error object (`MmError`, contract §1.3) and the v2 reply envelopes.
 *
 * @module
 */

/** Made-up line numbers for `error_trace`; real ones change with every KDF build (contract §1.3). */
const TRACE_LINES: Readonly<Record<string, number>> = {
  dispatcher: 272,
  rate_limiter: 52,
  init_l2: 96,
  prelude: 100,
  lp_coins: 3087,
  lightning_activation: 254,
  ln_p2p: 194,
  manager: 104,
};

/** The fields a v2 error reply and a task's `Error` status share (contract §2.0 `TaskErrorObject`). */
export interface ErrorObject {
  readonly error: string;
  readonly error_path: string;
  readonly error_trace: string;
  readonly error_type: string;
  /** Absent for unit variants. */
  readonly error_data?: unknown;
}

/** A KDF RPC error: thrown by handlers, turned into an error envelope by the dispatcher. */
export class MmError extends Error {
  override name = 'MmError';

  /**
   * @param path module stems along the propagation path, e.g. `init_l2.prelude`
   * @param data `error_data`; `undefined` for unit variants, which have no `error_data` key
   */
  constructor(
    readonly errorType: string,
    readonly httpStatus: number,
    message: string,
    readonly path: string,
    readonly data?: unknown
  ) {
    super(message);
  }

  toObject(): ErrorObject {
    return errorObject(this.errorType, this.message, this.path, this.data);
  }
}

export function errorObject(errorType: string, message: string, path: string, data?: unknown): ErrorObject {
  const trace = path
    .split('.')
    .map((stem) => `${stem}:${TRACE_LINES[stem] ?? 1}]`)
    .join(' ');
  return {
    error: message,
    error_path: path,
    error_trace: trace,
    error_type: errorType,
    ...(data !== undefined && { error_data: data }),
  };
}

export type RequestId = number | null;

export const okEnvelope = (result: unknown, id: RequestId) => ({ mmrpc: '2.0', result, id });

export const errorEnvelope = (error: MmError, id: RequestId) => ({ mmrpc: '2.0', ...error.toObject(), id });

/** `DispatcherError` variants (contract §1.4). */
export const DispatcherError = {
  invalidRequest: (serdeMessage: string) =>
    new MmError('InvalidRequest', 400, `Error parsing request: ${serdeMessage}`, 'dispatcher', serdeMessage),
  invalidMmRpcVersion: (serdeMessage: string) =>
    new MmError('InvalidMmRpcVersion', 400, `Error parsing mmrpc version: ${serdeMessage}`, 'dispatcher', serdeMessage),
  noSuchMethod: () => new MmError('NoSuchMethod', 400, 'No such method', 'dispatcher'),
  localHostOnly: () =>
    new MmError('LocalHostOnly', 403, 'Selected method can be called from localhost only!', 'dispatcher'),
  userpassIsNotSet: () => new MmError('UserpassIsNotSet', 403, 'Userpass is not set!', 'dispatcher'),
  userpassIsInvalid: (attemptsLeft: number) =>
    new MmError(
      'UserpassIsInvalid',
      403,
      `Userpass is invalid! - Rate Limit attempts left: ${attemptsLeft}`,
      'rate_limiter',
      {
        error_type: 'NbAttemptsLeft',
        error_data: attemptsLeft,
      }
    ),
  banned: () => new MmError('Banned', 403, 'Your ip is banned.', 'rate_limiter'),
} as const;

/** An `Internal` error whose text is its payload (e.g. `InitL2Error::Internal`). */
export const internalError = (message: string, path: string) => new MmError('Internal', 500, message, path, message);
