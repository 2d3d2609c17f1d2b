import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import type { TaskError } from '../activities/index.js';

/** The KDF (or our own) failure type, message and details behind an activity failure. */
export function failureOf(error: unknown): TaskError {
  const cause = error instanceof ActivityFailure ? (error.cause ?? error) : error;
  if (cause instanceof ApplicationFailure) {
    return { type: cause.type ?? 'ApplicationFailure', message: cause.message, data: cause.details?.[0] };
  }
  if (cause instanceof Error) return { type: cause.name, message: cause.message };
  return { type: 'UnknownError', message: String(cause) };
}
