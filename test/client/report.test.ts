import { WorkflowFailedError } from '@temporalio/client';
import {
  ActivityFailure,
  ApplicationFailure,
  CancelledFailure,
  RetryState,
  TerminatedFailure,
  TimeoutFailure,
  TimeoutType,
} from '@temporalio/common';
import { asReport, reportFromResult, reportFromWorkflowError } from '../../client/report.js';
import type { EnablementReport } from '../../workflows/api.js';

const ctx = { node: 'alpha', ticker: 'tBTC-lightning' };

const report = (overrides: Partial<EnablementReport> = {}): EnablementReport => ({
  outcome: 'failed',
  node: 'alpha',
  ticker: 'tBTC-lightning',
  taskId: 7,
  alreadyEnabled: false,
  phases: [{ phase: 'ActivatingCoin', at: '2026-01-01T00:00:00.000Z' }],
  durations: { ActivatingCoin: 500 },
  ...overrides,
});

const failed = (cause: Error) =>
  new WorkflowFailedError('Workflow execution failed', cause, RetryState.NON_RETRYABLE_FAILURE);

describe('reportFromWorkflowError', () => {
  test('Failed with a KDF error type: the report in details[0]', () => {
    const attached = report({ error: { type: 'LightningPortInUse', message: 'port 9735 in use' } });
    const error = failed(
      ApplicationFailure.create({ type: 'LightningPortInUse', message: 'x', nonRetryable: true, details: [attached] })
    );
    expect(reportFromWorkflowError(error, ctx)).toEqual(attached);
  });

  test('Failed by the ops cancel signal: outcome cancelled from the attached report', () => {
    const attached = report({
      outcome: 'cancelled',
      cancel: { reason: 'maintenance', requestedBy: 'ops', at: '2026-01-01T00:00:01.000Z' },
    });
    const error = failed(
      ApplicationFailure.create({ type: 'EnablementCancelled', message: 'x', nonRetryable: true, details: [attached] })
    );
    expect(reportFromWorkflowError(error, ctx)).toEqual(attached);
  });

  test('Failed on the deadline without details: a timed_out report is synthesised', () => {
    const error = failed(
      ApplicationFailure.create({ type: 'EnablementTimedOut', message: 'not enabled within 3000 ms' })
    );
    expect(reportFromWorkflowError(error, ctx)).toEqual({
      outcome: 'timed_out',
      node: 'alpha',
      ticker: 'tBTC-lightning',
      taskId: null,
      alreadyEnabled: false,
      phases: [],
      durations: {},
      error: { type: 'EnablementTimedOut', message: 'not enabled within 3000 ms' },
    });
  });

  test('Canceled with the report in the CancelledFailure details', () => {
    const attached = report({ outcome: 'cancelled' });
    expect(reportFromWorkflowError(failed(new CancelledFailure('Workflow canceled', [attached])), ctx)).toEqual(
      attached
    );
  });

  test('Canceled without details: a cancelled report, with the cancel request when known', () => {
    const cancel = { reason: 'test', requestedBy: 'me', at: '2026-01-01T00:00:00.000Z' };
    const synthesised = reportFromWorkflowError(failed(new CancelledFailure('Workflow canceled', [])), {
      ...ctx,
      cancel,
    });
    expect(synthesised).toMatchObject({ outcome: 'cancelled', node: 'alpha', taskId: null, cancel });
  });

  test('Terminated and TimedOut workflows', () => {
    expect(reportFromWorkflowError(failed(new TerminatedFailure('by admin')), ctx)).toMatchObject({
      outcome: 'failed',
      error: { type: 'WorkflowTerminated', message: 'by admin' },
    });
    const timeout = new TimeoutFailure('Workflow execution timed out', undefined, TimeoutType.START_TO_CLOSE);
    expect(reportFromWorkflowError(failed(timeout), ctx)).toMatchObject({ outcome: 'timed_out' });
  });

  test('an activity failure rethrown as is: the KDF type from its cause', () => {
    const kdf = ApplicationFailure.create({ type: 'NoSuchCoin', message: 'no such coin', nonRetryable: true });
    const activity = new ActivityFailure(
      'Activity task failed',
      'preflight',
      '1',
      RetryState.NON_RETRYABLE_FAILURE,
      '',
      kdf
    );
    expect(reportFromWorkflowError(failed(activity), ctx)).toMatchObject({
      outcome: 'failed',
      error: { type: 'NoSuchCoin', message: 'no such coin' },
    });
  });

  test('details that are not a report are ignored', () => {
    const error = failed(
      ApplicationFailure.create({ type: 'KdfTransportError', message: 'down', details: [{ x: 1 }] })
    );
    expect(reportFromWorkflowError(error, ctx)).toMatchObject({
      outcome: 'failed',
      error: { type: 'KdfTransportError' },
    });
  });

  test('errors that are not workflow outcomes give undefined (the caller rethrows)', () => {
    expect(reportFromWorkflowError(new Error('connection lost'), ctx)).toBeUndefined();
    expect(reportFromWorkflowError('nope', ctx)).toBeUndefined();
  });
});

describe('reportFromResult / asReport', () => {
  test('a completed workflow result is the report, normalised', () => {
    const result = { outcome: 'enabled', node: 'alpha', ticker: 't', address: 'tb1q…' };
    expect(reportFromResult(result, ctx)).toEqual({
      outcome: 'enabled',
      node: 'alpha',
      ticker: 't',
      address: 'tb1q…',
      taskId: null,
      alreadyEnabled: false,
      phases: [],
      durations: {},
    });
    expect(reportFromResult(undefined, ctx)).toMatchObject({ outcome: 'enabled', node: 'alpha' });
  });

  test('asReport rejects what is not a report', () => {
    expect(asReport(null)).toBeUndefined();
    expect(asReport({ outcome: 'maybe', node: 'a', ticker: 'b' })).toBeUndefined();
    expect(asReport(report())).toEqual(report());
  });
});
