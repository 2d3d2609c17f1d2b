import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { z } from 'zod';
import {
  KdfErrorTypeClassification,
  KdfInvalidParamsError,
  KdfProtocolError,
  KdfRpcError,
  KdfTransportError,
  classificationOf,
  failureTypeOf,
  isRetryable,
  toApplicationFailure,
  unknownErrorTypeClassification,
} from '../../activities/kdf/index.js';

const rpcError = (errorType: string, errorData?: unknown, httpStatus = 400): KdfRpcError =>
  new KdfRpcError(
    'task::enable_lightning::init',
    { error: `${errorType} happened`, error_type: errorType, error_data: errorData },
    httpStatus
  );

// The decisions, written out once more so that changing one is a deliberate edit in two places.
const expectedRetryable: Record<string, boolean> = {
  InvalidRequest: false,
  InvalidMmRpcVersion: false,
  NoSuchMethod: false,
  LocalHostOnly: false,
  UserpassIsNotSet: false,
  UserpassIsInvalid: false,
  Banned: false,
  L2IsAlreadyActivated: false,
  L2ConfigIsNotFound: false,
  L2ProtocolParseError: false,
  UnexpectedL2Protocol: false,
  L2ConfigParseError: false,
  PlatformCoinIsNotActivated: false,
  UnsupportedPlatformCoin: false,
  InvalidPlatformConfiguration: false,
  TaskTimedOut: false,
  Transport: true,
  Internal: true,
  NoSuchTask: false,
  TaskFinished: false,
  LegacyRpcError: false,
};

describe('the classification table', () => {
  test('lists exactly the error types with a written-down decision', () => {
    expect(Object.keys(KdfErrorTypeClassification).sort()).toEqual(Object.keys(expectedRetryable).sort());
  });

  test.each(Object.entries(expectedRetryable))('%s: retryable %s', (errorType, retryable) => {
    expect(classificationOf(errorType).retryable).toBe(retryable);
    expect(classificationOf(errorType).reason).not.toBe('');
    expect(isRetryable(rpcError(errorType))).toBe(retryable);
  });

  test('an unknown error type is not retryable', () => {
    expect(unknownErrorTypeClassification.retryable).toBe(false);
    expect(classificationOf('SomethingNewInKdf3')).toBe(unknownErrorTypeClassification);
    expect(isRetryable(rpcError('SomethingNewInKdf3'))).toBe(false);
  });

  test('names of Object.prototype members are unknown types, not table entries', () => {
    expect(classificationOf('constructor')).toBe(unknownErrorTypeClassification);
    expect(classificationOf('toString')).toBe(unknownErrorTypeClassification);
  });

  test('no answer or a cut-off body is retryable; JSON of the wrong shape, or params we could not send, are not', () => {
    expect(isRetryable(new KdfTransportError('version', 'connect ECONNREFUSED', { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isRetryable(new KdfProtocolError('version', 'reply is not JSON (HTTP 200)', 200, undefined, true))).toBe(
      true
    );
    expect(isRetryable(new KdfProtocolError('version', 'unexpected reply: result.coins (HTTP 200)', 200))).toBe(false);
    expect(isRetryable(invalidParamsError())).toBe(false);
  });
});

function invalidParamsError(): KdfInvalidParamsError {
  const result = z.strictObject({ task_id: z.number() }).safeParse({ task_id: 'x' });
  if (result.success) throw new Error('expected a schema failure');
  return new KdfInvalidParamsError('task::enable_lightning::status', result.error);
}

describe('failureTypeOf', () => {
  test('is the KDF error_type for RPC errors and the class name otherwise', () => {
    expect(failureTypeOf(rpcError('L2ConfigIsNotFound'))).toBe('L2ConfigIsNotFound');
    expect(failureTypeOf(new KdfTransportError('version', 'timeout', { code: 'ETIMEDOUT' }))).toBe('KdfTransportError');
    expect(failureTypeOf(new KdfProtocolError('version', 'bad', 200))).toBe('KdfProtocolError');
    expect(failureTypeOf(invalidParamsError())).toBe('KdfInvalidParamsError');
  });
});

describe('toApplicationFailure', () => {
  test('an RPC error keeps its type, message and data', () => {
    const failure = toApplicationFailure(rpcError('L2ConfigIsNotFound', 'tBTC-lightning'));
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({
      type: 'L2ConfigIsNotFound',
      message: 'task::enable_lightning::init: L2ConfigIsNotFound happened',
      nonRetryable: true,
      details: [
        {
          method: 'task::enable_lightning::init',
          errorType: 'L2ConfigIsNotFound',
          errorData: 'tBTC-lightning',
          httpStatus: 400,
        },
      ],
    });
    expect(failure.cause).toBeUndefined();
  });

  test('a retryable RPC error is a retryable failure', () => {
    expect(toApplicationFailure(rpcError('Transport', 'electrum down', 500)).nonRetryable).toBe(false);
  });

  test('a transport error carries its code', () => {
    const failure = toApplicationFailure(
      new KdfTransportError('get_enabled_coins', 'HTTP 502 without a KDF error body', {
        code: 'HTTP_502',
        httpStatus: 502,
      })
    );
    expect(failure).toMatchObject({
      type: 'KdfTransportError',
      nonRetryable: false,
      details: [{ method: 'get_enabled_coins', errorType: 'KdfTransportError', code: 'HTTP_502', httpStatus: 502 }],
    });
  });

  test('a reply of the wrong shape is non-retryable', () => {
    expect(toApplicationFailure(new KdfProtocolError('version', 'unexpected reply (HTTP 200)', 200))).toMatchObject({
      type: 'KdfProtocolError',
      nonRetryable: true,
      details: [{ method: 'version', errorType: 'KdfProtocolError', httpStatus: 200 }],
    });
  });

  test('invalid params are non-retryable and name the field', () => {
    const failure = toApplicationFailure(invalidParamsError());
    expect(failure).toMatchObject({ type: 'KdfInvalidParamsError', nonRetryable: true });
    expect(failure.message).toContain('→ at task_id');
  });

  test('an ApplicationFailure passes through unchanged', () => {
    const original = ApplicationFailure.retryable('busy', 'Busy');
    expect(toApplicationFailure(original)).toBe(original);
  });

  test('a cancellation passes through, so that Temporal reports the activity as cancelled', () => {
    const cancelled = new CancelledFailure('CANCELLED');
    expect(toApplicationFailure(cancelled)).toBe(cancelled);
  });

  test('anything else (a Temporal client error, a defect) is retried under its own name (G7)', () => {
    expect(toApplicationFailure(new TypeError('x is undefined'))).toMatchObject({
      type: 'TypeError',
      message: 'TypeError: x is undefined',
      nonRetryable: false,
    });
    const unavailable = Object.assign(new Error('14 UNAVAILABLE: connection refused'), { name: 'ServiceError' });
    expect(toApplicationFailure(unavailable)).toMatchObject({ type: 'ServiceError', nonRetryable: false });
    expect(toApplicationFailure('a string')).toMatchObject({ type: 'KdfClientBug', message: 'a string' });
  });

  test('a caller may make a KDF error final whatever the table says (a refused init)', () => {
    const refused = rpcError('Internal', 'Lightning network is only supported in segwit mode', 500);
    expect(toApplicationFailure(refused)).toMatchObject({ type: 'Internal', nonRetryable: false });
    expect(toApplicationFailure(refused, { nonRetryable: true })).toMatchObject({
      type: 'Internal',
      nonRetryable: true,
    });
  });
});
